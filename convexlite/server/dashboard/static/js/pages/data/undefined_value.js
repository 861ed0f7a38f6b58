// What the dashboard sends for `undefined`: a filter on a missing field, a field to remove
// (convexlite/functions/system/frontend_filters.py's UNDEFINED_PLACEHOLDER, upstream's).
export const UNDEFINED_PLACEHOLDER =
  "__CONVEX_PLACEHOLDER_undefined_I23atX0jcndVbFgXoQZffsih7eAqktCyFjgUuAeNBtfr3ySOljPSPSEOPFg" +
  "prkdBO3zXNiGEJxmJ5ZFPc5C5qKesG80QRPvlJe8vgSxAt9feLTwxTg4PHfVwUaTEJU67FDwldWmTxp1guMPwxQ2jOuh" +
  "EryTBf3mQ";

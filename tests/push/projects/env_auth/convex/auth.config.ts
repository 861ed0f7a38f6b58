const issuer = process.env.ISSUER_URL;

export default {
  providers: issuer ? [{ domain: issuer, applicationID: "convex" }] : [],
};

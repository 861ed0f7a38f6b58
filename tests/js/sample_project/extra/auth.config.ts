export default {
  providers: [
    { domain: process.env.AUTH_DOMAIN, applicationID: "convex" },
  ],
};

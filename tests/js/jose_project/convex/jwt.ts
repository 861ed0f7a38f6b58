// The npm `jose` library, unmodified, on convexlite's crypto.subtle: an action makes a key
// pair, signs a JWT and verifies it; a query verifies a JWT with a JWK it is given.
import { actionGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } from "jose";

const ISSUER = "https://issuer.example";
const AUDIENCE = "convexlite";

export const signAndVerify = actionGeneric({
  args: { alg: v.string() },
  handler: async (_ctx, { alg }) => {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const token = await new SignJWT({ scope: "tests" })
      .setProtectedHeader({ alg, kid: "k1" })
      .setSubject("user-1")
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);
    const { payload, protectedHeader } = await jwtVerify(token, publicKey, {
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    return {
      token,
      publicJwk: await exportJWK(publicKey),
      privateJwk: await exportJWK(privateKey),
      subject: payload.sub,
      header: protectedHeader,
    };
  },
});

export const verify = queryGeneric({
  args: { token: v.string(), jwk: v.any(), alg: v.string() },
  handler: async (_ctx, { token, jwk, alg }) => {
    const key = await importJWK(jwk, alg);
    const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE });
    return { subject: payload.sub ?? null, scope: payload.scope ?? null };
  },
});

export const generateInQuery = queryGeneric({
  args: {},
  handler: async () => {
    await generateKeyPair("ES256");
    return null;
  },
});

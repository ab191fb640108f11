// An independent VC-JWT verifier (npm `jose`), written from OB 3.0 §8.2 rather than from
// this platform's code. Reads {"token", "didDocument", "now"?} as JSON on stdin; resolves
// the header's kid in the DID document (a verificationMethod listed for assertionMethod),
// verifies the signature with that JWK, and checks typ "JWT", alg RS256/ES256, iss = the
// DID, nbf/exp at "now" (epoch seconds). Prints {"ok": true, "header", "payload"} or
// {"ok": false, "code", "message"}; exits 0 either way (1 only on bad input).
import { readFileSync } from "node:fs";
import { decodeProtectedHeader, importJWK, jwtVerify } from "jose";

const input = JSON.parse(readFileSync(0, "utf8"));
const out = (value) => process.stdout.write(JSON.stringify(value) + "\n");

try {
  const header = decodeProtectedHeader(input.token);
  const doc = input.didDocument;
  const allowed = new Set((doc.assertionMethod || []).map((m) => (typeof m === "string" ? m : m.id)));
  const method = (doc.verificationMethod || []).find((m) => m.id === header.kid);
  if (!method || !allowed.has(header.kid)) {
    out({ ok: false, code: "ERR_KID_NOT_FOUND", message: `no assertion key ${header.kid}` });
  } else {
    const key = await importJWK(method.publicKeyJwk, header.alg);
    const options = { algorithms: ["RS256", "ES256"], typ: "JWT", issuer: doc.id };
    if (input.now) options.currentDate = new Date(input.now * 1000);
    const { payload, protectedHeader } = await jwtVerify(input.token, key, options);
    out({ ok: true, header: protectedHeader, payload });
  }
} catch (error) {
  out({ ok: false, code: error.code || error.name, message: error.message });
}

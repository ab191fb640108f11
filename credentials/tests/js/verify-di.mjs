// An independent Data Integrity verifier: Digital Bazaar's @digitalbazaar/vc with the
// DataIntegrityProof suite and the eddsa-rdfc-2022 cryptosuite. Reads JSON on stdin:
//   {"credential", "contexts": {url: document}, "dids": {did: DID document},
//    "statusLists": {url: compact JWT}, "now"?: ISO date}
// Every document (contexts, DIDs and their keys) comes from that input: nothing is
// fetched. A credential's Bitstring Status List entry is checked against the given list:
// its JWT verified with npm `jose` by the key its kid names, the bit read from the
// GZIP-compressed, base64url encodedList. Prints {"verified": bool, "error"?: text}.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import * as vc from "@digitalbazaar/vc";
import { DataIntegrityProof } from "@digitalbazaar/data-integrity";
import { cryptosuite as eddsaRdfc2022 } from "@digitalbazaar/eddsa-rdfc-2022-cryptosuite";
import { decodeProtectedHeader, importJWK, jwtVerify } from "jose";

const input = JSON.parse(readFileSync(0, "utf8"));
const { contexts = {}, dids = {}, statusLists = {} } = input;
const MULTIKEY = "https://w3id.org/security/multikey/v1";

async function documentLoader(url) {
  if (contexts[url]) return { contextUrl: null, documentUrl: url, document: contexts[url] };
  const [did, fragment] = url.split("#");
  const doc = dids[did];
  if (doc && !fragment) return { contextUrl: null, documentUrl: url, document: doc };
  const method = doc && (doc.verificationMethod || []).find((m) => m.id === url);
  if (method) {
    return { contextUrl: null, documentUrl: url, document: { "@context": MULTIKEY, ...method } };
  }
  throw new Error(`${url} is not available offline`);
}

async function checkStatus({ credential }) {
  const entry = credential.credentialStatus;
  const token = statusLists[entry.statusListCredential];
  if (!token) return { verified: false, error: new Error("status list not given") };
  const header = decodeProtectedHeader(token);
  const doc = dids[header.kid.split("#")[0]];
  const method = doc && doc.verificationMethod.find((m) => m.id === header.kid);
  if (!method) return { verified: false, error: new Error(`no key ${header.kid}`) };
  const key = await importJWK(method.publicKeyJwk, header.alg);
  const { payload } = await jwtVerify(token, key, { typ: "JWT" });
  const encoded = payload.credentialSubject.encodedList;
  const bits = gunzipSync(Buffer.from(encoded.slice(1), "base64url"));
  const index = Number(entry.statusListIndex);
  const set = (bits[Math.floor(index / 8)] & (0x80 >> index % 8)) !== 0;
  return set
    ? { verified: false, error: new Error(`${entry.statusPurpose} bit ${index} is set`) }
    : { verified: true };
}

const suite = new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 });
try {
  const options = { credential: input.credential, suite, documentLoader, checkStatus };
  if (input.now) options.now = new Date(input.now);
  const result = await vc.verifyCredential(options);
  const errors = [];
  const collect = (e) => e && errors.push(e.message || String(e));
  collect(result.error);
  for (const r of result.results || []) collect(r.error);
  if (result.statusResult && !result.statusResult.verified) collect(result.statusResult.error);
  process.stdout.write(JSON.stringify({ verified: result.verified, error: errors.join("; ") }) + "\n");
} catch (error) {
  process.stdout.write(JSON.stringify({ verified: false, error: error.message }) + "\n");
}

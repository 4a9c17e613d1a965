// Vérification d'un paquet d'audit hra-audit-bundle/1 dans le navigateur, règle par règle comme le
// vérificateur autonome (feedback/verifier/verify_audit.py, AUDIT.md §5.4), avec WebCrypto :
// SHA-256 (crypto.subtle.digest) pour la chaîne, Ed25519 (crypto.subtle.verify) pour les points de
// contrôle. Aucune dépendance. Les verdicts sont ceux du vérificateur autonome, mot pour mot.
//
//   verifyBundle(bundle, receipt = null, publicKey = null)
//     → {ok, checked, firstBad, message, signatures: "ok" | "bad" | "unsupported"}
//   verifyFiles(bundleText, receiptText = null, publicKey = null) : la même chose, depuis le texte.
//
// « Déjà canonique » est contrôlé exactement comme Python (json.loads puis json.dumps trié, sans
// espaces, ensure_ascii=False) par un analyseur écrit ici, et non avec JSON.stringify, qui écrit
// les nombres autrement (0.00001 contre 1e-05) et trie les clés en UTF-16.
// Limites connues (fichiers fabriqués à la main seulement) : après JSON.parse, 20.0 et 20 sont le
// même nombre (Python refuse un tree_size 20.0, ce module l'accepte) et les entiers au-delà de
// 2^53 sont arrondis.

const FORMAT = "hra-audit-bundle/1";
const GENESIS = "0".repeat(64);
const ALGORITHM = "ed25519";
const CHECKPOINT_FIELDS = ["tree_size", "head_hash", "created_at", "algorithm", "key_id", "signature"];
const CHUNK = 4096; // entries hashed together (Promise.all), then checked in order
const MAX_INT_DIGITS = 4300; // Python's int() limit: json.loads refuses longer integers

class Broken extends Error {
  constructor(reason, seq = null) {
    super(reason);
    this.reason = reason;
    this.seq = seq;
  }
}

// --------------------------------------------------------------------------- small helpers

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = NIBBLE[65 + i] = 10 + i;
const HASH_RE = /^[0-9a-f]{64}$/;
const encoder = new TextEncoder();

const own = (obj, key) => (Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined);
const isDict = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isNone = (v) => v === null || v === undefined;
const isHash = (v) => typeof v === "string" && v.length === 64 && HASH_RE.test(v);
const isInt = (v) => typeof v === "number" && Number.isInteger(v);

function toHex(buffer) {
  const bytes = new Uint8Array(buffer);
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}

/** Writes the 32 bytes of a 64-hex hash (already checked) into out at offset. */
function hashInto(hex, out, offset) {
  for (let i = 0; i < 32; i++) {
    out[offset + i] = (NIBBLE[hex.charCodeAt(2 * i)] << 4) | NIBBLE[hex.charCodeAt(2 * i + 1)];
  }
}

/** Python's bytes.fromhex: pairs of hex digits (either case), ASCII whitespace between pairs. */
function fromHex(text) {
  const out = [];
  const space = (c) => c === 32 || (c >= 9 && c <= 13);
  for (let i = 0; i < text.length; ) {
    if (space(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const hi = text.charCodeAt(i), lo = text.charCodeAt(i + 1);
    const a = hi < 128 ? NIBBLE[hi] : -1, b = lo < 128 ? NIBBLE[lo] : -1;
    if (a < 0 || b < 0) return null;
    out.push((a << 4) | b);
    i += 2;
  }
  return new Uint8Array(out);
}

const sha256 = (bytes) => crypto.subtle.digest("SHA-256", bytes);
const grouped = (hex) => (hex.match(/.{1,4}/gsu) ?? []).join(" ");
const firstCodePoints = (text, n) => Array.from(text).slice(0, n).join("");

function intText(n) {
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

/** Python's repr() of a float. */
function floatRepr(x) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, exp] = Math.abs(x).toExponential().split("e"); // shortest round-trip digits
  const digits = mantissa.replace(".", "");
  const e = Number(exp);
  if (e >= -4 && e < 16) {
    if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
    const whole = digits.slice(0, e + 1).padEnd(e + 1, "0");
    return `${sign}${whole}.${digits.slice(e + 1) || "0"}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

/** Python's repr() of a str (printable characters approximated as: not a control character). */
function strRepr(s) {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || (c >= 0x7f && c <= 0xa0)) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's str() of a JSON value: values from JSON.parse, or from the scanner below (numbers as
 * {num: text}, objects as Map). */
function pyStr(v) {
  return typeof v === "string" ? v : pyRepr(v);
}

function pyRepr(v) {
  if (isNone(v)) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return strRepr(v);
  if (typeof v === "number") return isInt(v) ? intText(v) : floatRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (v instanceof Num) return v.repr;
  const items = v instanceof Map ? [...v] : Object.entries(v);
  return `{${items.map(([k, x]) => `${strRepr(k)}: ${pyRepr(x)}`).join(", ")}}`;
}

/** Python's json.dumps(s, ensure_ascii=False) of a string. */
function jsonString(s) {
  return `"${s.replace(/[\u0000-\u001f"\\]/g, (ch) => SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`)}"`;
}
const SHORT_ESCAPES = { '"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

// --------------------------------------------------------------------------- canonical content

class Num {
  constructor(repr) {
    this.repr = repr; // Python's str() of the number
  }
}

class Unreadable extends Error {}

/** Code-point order (Python's str order), not UTF-16 order: a < b strictly. */
function codePointLess(a, b) {
  const len = Math.min(a.length, b.length);
  for (let k = 0; k < len; k++) {
    let x = a.charCodeAt(k), y = b.charCodeAt(k);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x < y;
    }
  }
  return a.length < b.length;
}

const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
const ALLOWED_U = new Set(); // \u00XX escapes json.dumps writes: control characters without a short form
for (let c = 0; c < 0x20; c++) if (![8, 9, 10, 12, 13].includes(c)) ALLOWED_U.add(c.toString(16).padStart(4, "0"));
const SIMPLE = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/**
 * Python's json.loads(text) (strict, NaN and Infinity accepted), noting whether
 * json.dumps(…, sort_keys=True, separators=(",", ":"), ensure_ascii=False) would give back the same
 * text. Throws Unreadable where json.loads raises. Returns {value, canonical}.
 */
function scanJson(text) {
  let i = 0;
  let canonical = true;
  const n = text.length;
  const fail = () => {
    throw new Unreadable(`position ${i}`);
  };
  const skipSpace = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      canonical = false;
      i++;
    }
  };
  const string = () => {
    i++; // the opening quote
    let out = "";
    let start = i;
    for (;;) {
      if (i >= n) fail();
      const c = text.charCodeAt(i);
      if (c === 34) {
        out += text.slice(start, i++);
        return out;
      }
      if (c < 0x20) fail(); // strict: a raw control character
      if (c !== 92) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      if (e === "u") {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail();
        if (!ALLOWED_U.has(hex)) canonical = false; // json.dumps writes it as is, or lowercase
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (e !== undefined && e in SIMPLE) {
        if (e === "/") canonical = false;
        out += SIMPLE[e];
        i += 2;
      } else fail();
      start = i;
    }
  };
  const number = () => {
    NUMBER_RE.lastIndex = i;
    const m = NUMBER_RE.exec(text);
    if (!m) fail();
    const token = m[0];
    i += token.length;
    if (m[1] === undefined && m[2] === undefined) {
      if (token.replace("-", "").length > MAX_INT_DIGITS) fail();
      if (token === "-0") canonical = false; // int("-0") is written 0
      return new Num(token);
    }
    const repr = floatRepr(Number(token));
    // json.dumps writes inf and nan as Infinity and NaN; repr gives the other floats.
    const written = repr === "inf" ? "Infinity" : repr === "-inf" ? "-Infinity" : repr;
    if (written !== token) canonical = false;
    return new Num(repr);
  };
  const value = () => {
    skipSpace();
    if (i >= n) fail();
    const c = text[i];
    if (c === '"') return string();
    if (c === "{") {
      i++;
      const obj = new Map();
      let last = null;
      skipSpace();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        if (text[i] !== '"') fail();
        const key = string();
        if (last !== null && !codePointLess(last, key)) canonical = false; // unsorted or repeated
        last = key;
        skipSpace();
        if (text[i] !== ":") fail();
        i++;
        obj.set(key, value());
        skipSpace();
        if (text[i] === "}") {
          i++;
          return obj;
        }
        if (text[i] !== ",") fail();
        i++;
        skipSpace();
      }
    }
    if (c === "[") {
      i++;
      const arr = [];
      skipSpace();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        skipSpace();
        if (text[i] === "]") {
          i++;
          return arr;
        }
        if (text[i] !== ",") fail();
        i++;
      }
    }
    for (const [word, v] of LITERALS) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return number();
  };
  const result = value();
  skipSpace();
  if (i !== n) fail(); // extra data
  return { value: result, canonical };
}
const LITERALS = [
  ["null", null],
  ["true", true],
  ["false", false],
  ["NaN", new Num("nan")],
  ["Infinity", new Num("inf")],
  ["-Infinity", new Num("-inf")],
];

function eventId(content, n) {
  let scanned;
  try {
    scanned = scanJson(content);
  } catch (exc) {
    if (exc instanceof Unreadable || exc instanceof RangeError) {
      throw new Broken(`entrée ${n} : contenu illisible (JSON attendu)`, n);
    }
    throw exc;
  }
  const data = scanned.value;
  if (!(data instanceof Map) || !scanned.canonical) throw new Broken(`entrée ${n} : contenu non canonique`, n);
  if (data.has("agent_pseudonym")) throw new Broken(`entrée ${n} : le contenu publié contient un pseudonyme`, n);
  return pyStr(data.get("event_id"));
}

// --------------------------------------------------------------------------- keys and signatures

function expectedKey(text) {
  const compact = text.split(/\s+/u).join("").toLowerCase();
  if (compact.startsWith("{")) {
    let value;
    try {
      value = own(JSON.parse(compact), "public_key_hex");
    } catch (exc) {
      throw new Broken(`clé publique attendue illisible (${exc.message})`);
    }
    if (value === undefined) throw new Broken("clé publique attendue illisible ('public_key_hex')");
    return pyStr(value).toLowerCase();
  }
  if (!isHash(compact)) throw new Broken("clé publique attendue illisible : 64 caractères hexadécimaux attendus");
  return compact;
}

async function loadPublicKey(bundle, expected) {
  const info = own(bundle, "public_key");
  if (!isDict(info) || own(info, "algorithm") !== ALGORITHM) {
    throw new Broken("clé publique absente du paquet ou algorithme autre qu'ed25519");
  }
  const rawHex = own(info, "public_key_hex");
  if (!isHash(rawHex)) throw new Broken("clé publique du paquet mal formée (64 hexadécimaux attendus)");
  const raw = new Uint8Array(32);
  hashInto(rawHex, raw, 0);
  const fingerprint = toHex(await sha256(raw));
  if (own(info, "fingerprint") !== fingerprint) {
    throw new Broken("l'empreinte annoncée dans le paquet n'est pas celle de sa clé publique");
  }
  if (expected !== null && expected !== rawHex && expected !== fingerprint) {
    throw new Broken(
      `le paquet est signé par une autre clé que la clé attendue (empreinte du paquet ${grouped(fingerprint)})`,
    );
  }
  return { raw, fingerprint };
}

// RFC 8032, test 1: the empty message. Tells whether this browser verifies Ed25519 at all.
const RFC8032_KEY = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const RFC8032_SIG =
  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
let support = null;

function ed25519Supported() {
  support ??= (async () => {
    try {
      const key = await crypto.subtle.importKey("raw", fromHex(RFC8032_KEY), { name: "Ed25519" }, false, ["verify"]);
      return (await crypto.subtle.verify({ name: "Ed25519" }, key, fromHex(RFC8032_SIG), new Uint8Array(0))) === true;
    } catch {
      return false;
    }
  })();
  return support;
}

function parseCheckpoint(data, what) {
  if (!isDict(data)) throw new Broken(`${what} : objet JSON attendu`);
  for (const name of CHECKPOINT_FIELDS) {
    const value = own(data, name);
    const good = name === "tree_size" ? isInt(value) : typeof value === "string";
    if (!good) throw new Broken(`${what} : champ '${name}' absent ou mal formé`);
  }
  if (data.tree_size < 0 || !isHash(data.head_hash)) throw new Broken(`${what} : taille ou empreinte de tête mal formée`);
  return Object.fromEntries(CHECKPOINT_FIELDS.map((name) => [name, data[name]]));
}

/** The UTF-8 bytes of the canonical JSON of the five signed fields (AUDIT.md §5.3). */
function signedBytes(cp) {
  return encoder.encode(
    `{"algorithm":${jsonString(cp.algorithm)},"created_at":${jsonString(cp.created_at)},` +
      `"head_hash":${jsonString(cp.head_hash)},"key_id":${jsonString(cp.key_id)},"tree_size":${intText(cp.tree_size)}}`,
  );
}

/** Returns false when the browser cannot verify Ed25519 (the other rules are still applied). */
async function checkSignature(cp, keys, what) {
  if (cp.algorithm !== ALGORITHM) throw new Broken(`${what} : algorithme ${strRepr(cp.algorithm)}, ed25519 attendu`);
  if (cp.key_id !== keys.fingerprint) {
    throw new Broken(`${what} : signé avec une autre clé (empreinte ${grouped(firstCodePoints(cp.key_id, 64))})`);
  }
  if (!(await ed25519Supported())) return false;
  const signature = fromHex(cp.signature);
  let valid = false;
  if (signature !== null) {
    try {
      keys.imported ??= await crypto.subtle.importKey("raw", keys.raw, { name: "Ed25519" }, false, ["verify"]);
      valid = await crypto.subtle.verify({ name: "Ed25519" }, keys.imported, signature, signedBytes(cp));
    } catch {
      valid = false;
    }
  }
  if (!valid) throw new Broken(`${what} : signature invalide`);
  return true;
}

function checkPrefix(cp, hashes, what) {
  const size = cp.tree_size;
  if (size > hashes.length) {
    throw new Broken(
      `${what} couvre ${intText(size)} entrées, le paquet n'en a que ${hashes.length} : journal tronqué`,
      hashes.length + 1,
    );
  }
  const at = size ? hashes[size - 1] : GENESIS;
  if (at !== cp.head_hash) {
    throw new Broken(
      `${what} ne correspond pas à l'entrée ${intText(size)} du paquet : historique réécrit ` +
        "(le paquet ne prolonge pas ce point de contrôle)",
      size || null,
    );
  }
}

// --------------------------------------------------------------------------- chain

/** Python's `value == n` for an int n (True == 1 in Python). */
const equalsInt = (v, n) => v === n || (typeof v === "boolean" && Number(v) === n);

/** The checks of an entry that need no digest, in the standalone verifier's order; or null. */
function shapeProblem(entry, n) {
  if (!isDict(entry)) return new Broken(`entrée ${n} : objet JSON attendu`, n);
  const seq = own(entry, "seq");
  if (!equalsInt(seq, n)) {
    if (isInt(seq) && seq > n) return new Broken(`entrée ${n} : absente (la suivante est ${intText(seq)})`, n);
    return new Broken(`entrée ${n} : numéro en double ou désordonné (${pyStr(seq)})`, n);
  }
  if (!isHash(own(entry, "content_digest")) || !isHash(own(entry, "entry_hash"))) {
    return new Broken(`entrée ${n} : empreinte mal formée (64 hexadécimaux attendus)`, n);
  }
  const content = own(entry, "content");
  if (!isNone(content) && typeof content !== "string") {
    return new Broken(`entrée ${n} : contenu mal formé (texte attendu)`, n);
  }
  return null;
}

async function checkEntries(entries, progress) {
  if (!Array.isArray(entries)) throw new Broken("le paquet n'a pas de liste « entries »");
  const hashes = new Array(entries.length);
  const seenDigest = new Map();
  const seenEvent = new Map();
  let shown = 0;
  for (let start = 0; start < entries.length; start += CHUNK) {
    const end = Math.min(entries.length, start + CHUNK);
    // Digests first, all at once, for the entries whose shape is right (up to the first wrong one).
    let limit = end;
    for (let k = start; k < end; k++) {
      if (shapeProblem(entries[k], k + 1) !== null) {
        limit = k;
        break;
      }
    }
    const jobs = [];
    const contentHex = new Array(limit - start);
    const chainHex = new Array(limit - start);
    for (let k = start; k < limit; k++) {
      const entry = entries[k];
      const content = own(entry, "content");
      if (typeof content === "string" && content.isWellFormed?.() !== false) {
        jobs.push(sha256(encoder.encode(content)).then((d) => (contentHex[k - start] = toHex(d))));
      }
      const link = new Uint8Array(64); // entry_hash_{n-1} ‖ content_digest_n, as bytes
      if (k > 0) hashInto(entries[k - 1].entry_hash, link, 0);
      hashInto(entry.content_digest, link, 32);
      jobs.push(sha256(link).then((d) => (chainHex[k - start] = toHex(d))));
    }
    await Promise.all(jobs);
    // Then the rules, entry by entry, in the standalone verifier's order: the first one broken wins.
    for (let k = start; k < end; k++) {
      const n = k + 1;
      const problem = k < limit ? null : shapeProblem(entries[k], n);
      if (problem !== null) throw problem;
      const entry = entries[k];
      const { content_digest: digest, entry_hash: entryHash } = entry;
      const content = own(entry, "content");
      if (typeof content === "string") {
        if (contentHex[k - start] === undefined) throw new Broken(`entrée ${n} : contenu mal formé (texte UTF-8 invalide)`, n);
        if (contentHex[k - start] !== digest) {
          throw new Broken(`entrée ${n} : le contenu ne correspond pas à son empreinte (contenu modifié)`, n);
        }
        const id = eventId(content, n);
        if (seenEvent.has(id)) throw new Broken(`entrée ${n} : même événement que l'entrée ${seenEvent.get(id)} (doublon)`, n);
        seenEvent.set(id, n);
        shown++;
      }
      if (chainHex[k - start] !== entryHash) {
        throw new Broken(
          n > 1
            ? `entrée ${n} : l'empreinte de l'entrée ne correspond pas au chaînage (entrée ${n} ou ${n - 1} modifiée, supprimée ou déplacée)`
            : "entrée 1 : l'empreinte ne part pas de l'origine (64 zéros)",
          n,
        );
      }
      if (seenDigest.has(digest)) throw new Broken(`entrée ${n} : même contenu que l'entrée ${seenDigest.get(digest)} (rejeu)`, n);
      seenDigest.set(digest, n);
      hashes[k] = entryHash;
      progress.checked = n;
    }
  }
  return { hashes, shown };
}

// --------------------------------------------------------------------------- verdict

/**
 * Verifies a parsed hra-audit-bundle/1 (AUDIT.md §5.4), optionally against a kept receipt (a signed
 * checkpoint) and an expected public key or fingerprint (64 hex, grouped or not).
 * Never throws on bad input: {ok, checked, firstBad, message, signatures}.
 */
export async function verifyBundle(bundle, receipt = null, publicKey = null) {
  const progress = { checked: 0 };
  let signatures = "bad";
  let lines;
  try {
    if (!isDict(bundle) || own(bundle, "format") !== FORMAT) throw new Broken(`ce fichier n'est pas un paquet ${FORMAT}`);
    const expected = publicKey ? expectedKey(publicKey) : null;
    const keys = await loadPublicKey(bundle, expected);
    const rcpt = isNone(receipt) ? null : parseCheckpoint(receipt, "le reçu");
    let verified = true;
    if (rcpt !== null) verified = (await checkSignature(rcpt, keys, "le reçu")) && verified;
    const checkpoints = own(bundle, "checkpoints");
    if (!Array.isArray(checkpoints)) throw new Broken("le paquet n'a pas de liste « checkpoints »");
    const parsed = checkpoints.map((c, i) => parseCheckpoint(c, `le point de contrôle n° ${i + 1}`));
    for (const [i, cp] of parsed.entries()) {
      verified = (await checkSignature(cp, keys, `le point de contrôle n° ${i + 1}`)) && verified;
    }
    signatures = verified ? "ok" : "unsupported";
    const { hashes, shown } = await checkEntries(own(bundle, "entries"), progress);
    if (!equalsInt(own(bundle, "tree_size"), hashes.length) || own(bundle, "head_hash") !== (hashes.length ? hashes[hashes.length - 1] : GENESIS)) {
      throw new Broken("la taille ou l'empreinte de tête annoncées ne sont pas celles des entrées");
    }
    for (const [i, cp] of parsed.entries()) checkPrefix(cp, hashes, `le point de contrôle n° ${i + 1}`);
    if (rcpt !== null) checkPrefix(rcpt, hashes, "le reçu");
    const total = hashes.length;
    lines = [
      `VALIDE : ${total} entrées chaînées vérifiées (${shown} avec leur contenu, ${total - shown} par leur seule empreinte)`,
      verified
        ? `${parsed.length} point(s) de contrôle à signature valide, tous contenus dans ce journal`
        : `${parsed.length} point(s) de contrôle, tous contenus dans ce journal ; signatures non vérifiées par ce navigateur ` +
          "(Ed25519 indisponible) : utilisez le vérificateur autonome pour les vérifier",
    ];
    if (rcpt !== null) {
      lines.push(
        `le journal prolonge votre reçu (${intText(rcpt.tree_size)} entrées, ` +
          `${verified ? "signature valide" : "signature non vérifiée par ce navigateur"})`,
      );
    }
    lines.push(
      expected === null
        ? `clé prise dans le paquet, empreinte ${grouped(keys.fingerprint)} : comparez-la à celle d'AUDIT.md ou à celle que vous avez notée`
        : `clé publique attendue : empreinte ${grouped(keys.fingerprint)}`,
    );
    return { ok: true, checked: total, firstBad: null, message: lines.join("\n"), signatures };
  } catch (exc) {
    if (!(exc instanceof Broken)) throw exc;
    const where = exc.seq !== null ? `entrée ${exc.seq}` : "paquet";
    const reason = exc.reason.startsWith(`${where} : `) ? exc.reason.slice(where.length + 3) : exc.reason;
    return { ok: false, checked: progress.checked, firstBad: exc.seq, message: `INVALIDE (${where}) : ${reason}`, signatures };
  }
}

/** The same, from the texts of the files (the receipt is optional: null, undefined or ""). */
export async function verifyFiles(bundleText, receiptText = null, publicKey = null) {
  const parse = (text, what) => {
    try {
      return { value: JSON.parse(text) };
    } catch (exc) {
      return {
        error: {
          ok: false,
          checked: 0,
          firstBad: null,
          message: `INVALIDE : ${what} illisible : ce n'est pas un fichier JSON (${exc.message})`,
          signatures: "bad",
        },
      };
    }
  };
  const bundle = parse(bundleText ?? "", "paquet");
  if (bundle.error) return bundle.error;
  let receipt = null;
  if (receiptText !== null && receiptText !== undefined && receiptText !== "") {
    const parsed = parse(receiptText, "reçu");
    if (parsed.error) return parsed.error;
    receipt = parsed.value;
  }
  return verifyBundle(bundle.value, receipt, publicKey);
}

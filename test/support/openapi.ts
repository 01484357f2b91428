/**
 * Contract harness: validates response bodies against Plaid's OpenAPI spec (2020-09-14.yml) with
 * a real JSON-Schema validator (ajv). The spec is large (3 MB of YAML), so it is parsed and
 * converted once per process and every validator is compiled lazily and cached.
 *
 * OpenAPI 3.0 → JSON Schema conversion:
 * - `nullable: true` → null is allowed as well (a type union, or `anyOf` when the schema composes).
 * - `$ref: "#/components/schemas/X"` resolves inside one registered document (`plaid-openapi`).
 * - `enum` is extensible in Plaid's API (its README: clients must not validate enums strictly),
 *   so an unknown enum value is not an error; it is reported in `warnings` instead.
 * - Boolean `exclusiveMinimum`/`exclusiveMaximum` (draft 4 style) → the numeric form.
 * - `format`: date, date-time, uuid and email are checked; number formats and the URL-ish ones are
 *   annotations only.
 * Everything else (required, types, additionalProperties, min/max, …) is kept as the spec says.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { parse as parseYaml } from "yaml";

/** The repository root (this file lives in <repo>/test/support). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export const SPEC_HOWTO =
  "Plaid's OpenAPI spec was not found. Get it with `git clone https://github.com/plaid/plaid-openapi` " +
  "and point PLAID_OPENAPI_SPEC at its 2020-09-14.yml (or place it at ../shared/plaid/openapi/2020-09-14.yml " +
  "next to the repository).";

/** Where the spec is looked for: $PLAID_OPENAPI_SPEC, else <repo>/../shared/plaid/openapi/2020-09-14.yml. */
export function specPath(): string {
  const fromEnv = process.env.PLAID_OPENAPI_SPEC;
  if (fromEnv && fromEnv.trim() !== "") return path.resolve(REPO_ROOT, fromEnv.trim());
  return path.resolve(REPO_ROOT, "..", "shared", "plaid", "openapi", "2020-09-14.yml");
}

export function specAvailable(): boolean {
  try {
    return fs.statSync(specPath()).isFile();
  } catch {
    return false;
  }
}

/**
 * For a mocha `before` hook: skips the suite (with instructions) when the spec is missing, except
 * under CI=true, where a missing spec is a failure.
 */
export function requireSpec(ctx: Mocha.Context): void {
  if (specAvailable()) return;
  const message = `${SPEC_HOWTO} (looked at ${specPath()})`;
  if (process.env.CI === "true") throw new Error(`CI=true: ${message}`);
  console.warn(`      skipped: ${message}`);
  ctx.skip();
}

export interface ValidationResult {
  valid: boolean;
  /** One line per schema violation: "<json pointer> <message> <params>". */
  errors: string[];
  /** Values outside a (extensible) enum: not errors, but worth knowing. */
  warnings: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = { [k: string]: Json };

interface OpenApiDoc {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema; examples?: Record<string, { value?: unknown }> }> }> }>>;
  components: { schemas: Record<string, Schema> };
}

const DOC_ID = "plaid-openapi";
const ENUM_KEYWORD = "x-plaid-enum";

interface Harness {
  doc: OpenApiDoc;
  ajv: Ajv;
  validators: Map<string, ValidateFunction>;
}

let harness: Harness | null = null;
/** Collects enum warnings during one (synchronous) validation call. */
let enumWarnings: string[] | null = null;

function isObject(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Converts one OpenAPI 3.0 schema object (recursively) into draft-07 JSON Schema for ajv. */
export function convertSchema(input: Json): Json {
  if (Array.isArray(input)) return input.map(convertSchema);
  if (!isObject(input)) return input;
  const out: Schema = {};
  for (const [key, value] of Object.entries(input)) {
    if (key.startsWith("x-") || key === "example" || key === "discriminator" || key === "xml" || key === "externalDocs") continue;
    switch (key) {
      case "properties":
      case "patternProperties":
      case "definitions": {
        const props: Schema = {};
        for (const [name, sub] of Object.entries(isObject(value) ? value : {})) props[name] = convertSchema(sub);
        out[key] = props;
        break;
      }
      case "enum":
        // Extensible enums: remember them for warnings, never fail on them.
        out[ENUM_KEYWORD] = value;
        break;
      case "nullable":
        break;
      case "default":
      case "examples":
      case "const":
      case "required":
        out[key] = value;
        break;
      default:
        out[key] = isObject(value) || Array.isArray(value) ? convertSchema(value) : value;
    }
  }
  if (input.exclusiveMinimum === true && typeof input.minimum === "number") {
    out.exclusiveMinimum = input.minimum;
    delete out.minimum;
  } else if (typeof input.exclusiveMinimum === "boolean") delete out.exclusiveMinimum;
  if (input.exclusiveMaximum === true && typeof input.maximum === "number") {
    out.exclusiveMaximum = input.maximum;
    delete out.maximum;
  } else if (typeof input.exclusiveMaximum === "boolean") delete out.exclusiveMaximum;

  if (input.nullable === true) {
    const composes = "$ref" in out || "allOf" in out || "anyOf" in out || "oneOf" in out || "not" in out;
    if (!composes && typeof out.type === "string") {
      out.type = [out.type, "null"];
    } else if (!composes && out.type === undefined) {
      // no type constraint: null already passes the type; keep as is
    } else {
      // Keep annotations outside, move the constraints under anyOf.
      const inner: Schema = {};
      const outer: Schema = {};
      for (const [k, v] of Object.entries(out)) {
        if (k === "description" || k === "title" || k === "deprecated") outer[k] = v;
        else inner[k] = v;
      }
      outer.anyOf = [{ type: "null" }, inner];
      return outer;
    }
  }
  return out;
}

function formatError(e: ErrorObject): string {
  const where = e.instancePath === "" ? "(root)" : e.instancePath;
  const params = Object.keys(e.params ?? {}).length ? " " + JSON.stringify(e.params) : "";
  return `${where} ${e.message ?? e.keyword}${params}`;
}

function load(): Harness {
  if (harness) return harness;
  const file = specPath();
  if (!specAvailable()) throw new Error(`${SPEC_HOWTO} (looked at ${file})`);
  const doc = parseYaml(fs.readFileSync(file, "utf8"), { maxAliasCount: -1 }) as OpenApiDoc;
  if (!doc || typeof doc.openapi !== "string" || !doc.openapi.startsWith("3.0")) {
    throw new Error(`${file} is not an OpenAPI 3.0 document`);
  }
  const schemas: Schema = {};
  for (const [name, schema] of Object.entries(doc.components.schemas)) schemas[name] = convertSchema(schema);

  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true, addUsedSchema: false });
  addFormats(ajv, ["date", "date-time", "uuid", "email"]);
  for (const f of ["double", "float", "int32", "int64", "url", "uri", "uri-reference", "binary", "byte", "password", "cognito_id"]) {
    ajv.addFormat(f, true);
  }
  ajv.addKeyword({
    keyword: ENUM_KEYWORD,
    schemaType: "array",
    errors: false,
    validate: (allowed: unknown[], data: unknown, _parent?: unknown, ctx?: { instancePath: string }) => {
      if (enumWarnings && data !== null && !allowed.some((a) => a === data)) {
        enumWarnings.push(`${ctx?.instancePath || "(root)"} ${JSON.stringify(data)} is not one of the spec's enum values ${JSON.stringify(allowed)}`);
      }
      return true;
    },
  });
  ajv.addSchema({ $id: DOC_ID, components: { schemas } } as object, DOC_ID);
  harness = { doc, ajv, validators: new Map() };
  return harness;
}

/** The parsed spec (cached). */
export function openApiSpec(): OpenApiDoc {
  return load().doc;
}

function validatorFor(ref: string): ValidateFunction {
  const h = load();
  let v = h.validators.get(ref);
  if (!v) {
    const found = h.ajv.getSchema(`${DOC_ID}${ref}`);
    if (!found) throw new Error(`no schema ${ref} in the spec`);
    v = found;
    h.validators.set(ref, v);
  }
  return v;
}

function run(ref: string, body: unknown): ValidationResult {
  const validate = validatorFor(ref);
  enumWarnings = [];
  try {
    const valid = validate(body) as boolean;
    const errors = valid ? [] : (validate.errors ?? []).map(formatError);
    return { valid, errors, warnings: [...new Set(enumWarnings)] };
  } finally {
    enumWarnings = null;
  }
}

function responseRef(apiPath: string, status: string): string {
  const op = load().doc.paths[apiPath]?.post;
  if (!op) throw new Error(`the spec has no POST ${apiPath}`);
  const schema = op.responses?.[status]?.content?.["application/json"]?.schema;
  const ref = schema && typeof schema.$ref === "string" ? schema.$ref : null;
  if (!ref) throw new Error(`the spec has no ${status} JSON schema $ref for ${apiPath}`);
  return ref;
}

/** The name of the component schema of `apiPath`'s response (e.g. "TransactionsSyncResponse"). */
export function responseSchemaName(apiPath: string, status = "200"): string {
  return responseRef(apiPath, status).replace("#/components/schemas/", "");
}

/** Validates `body` against the spec's response schema for `POST apiPath` (default: the 200 one). */
export function validateResponse(apiPath: string, body: unknown, status = "200"): ValidationResult {
  return run(responseRef(apiPath, status), body);
}

/** Validates `body` against a named component schema. */
export function validateSchema(name: string, body: unknown): ValidationResult {
  return run(`#/components/schemas/${name}`, body);
}

/**
 * Validates an error response body against PlaidError. The component is `nullable` (it also
 * describes `item.error`), but an error *response* must be an object, so null is refused here.
 */
export function validateError(body: unknown): ValidationResult {
  const result = run("#/components/schemas/PlaidError", body);
  if (!isObject(body)) {
    return { valid: false, errors: [`(root) an error response must be an object, got ${body === null ? "null" : typeof body}`, ...result.errors], warnings: result.warnings };
  }
  return result;
}

/** The spec's example 200 body for `POST apiPath` (a deep copy), or undefined. */
export function responseExample(apiPath: string, status = "200"): unknown {
  const op = load().doc.paths[apiPath]?.post;
  const examples = op?.responses?.[status]?.content?.["application/json"]?.examples;
  const first = examples ? Object.values(examples)[0]?.value : undefined;
  return first === undefined ? undefined : JSON.parse(JSON.stringify(first));
}

/** Throws an Error listing the violations (and a trimmed body) unless `result.valid`. */
export function assertValid(result: ValidationResult, label: string, body?: unknown): void {
  if (result.valid) return;
  const shown = body === undefined ? "" : `\nbody: ${JSON.stringify(body).slice(0, 1500)}`;
  throw new Error(`${label} does not match Plaid's OpenAPI spec:\n  ${result.errors.slice(0, 25).join("\n  ")}${shown}`);
}

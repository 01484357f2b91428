import { SimError, invalidField, missingFields } from "./errors";
import { isIsoDate } from "./dates";

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Typed reads of a request body. Plaid reports a wrong type as INVALID_FIELD naming the field
 * and absent required fields as MISSING_FIELDS listing them, so every read goes through here.
 */
export class Fields {
  private readonly missing: string[] = [];
  constructor(
    private readonly body: JsonObject,
    private readonly prefix = "",
  ) {}

  private name(key: string): string {
    return this.prefix + key;
  }

  /** Call once all required reads are done: reports every missing field at once. */
  done(): void {
    if (this.missing.length) throw missingFields(this.missing);
  }

  has(key: string): boolean {
    return this.body[key] !== undefined && this.body[key] !== null;
  }

  string(key: string, opts: { required: true; minLength?: number; maxLength?: number }): string;
  string(key: string, opts?: { required?: false; minLength?: number; maxLength?: number }): string | undefined;
  string(key: string, opts: { required?: boolean; minLength?: number; maxLength?: number } = {}): string | undefined {
    const v = this.body[key];
    if (v === undefined || v === null) {
      if (opts.required) this.missing.push(this.name(key));
      return undefined;
    }
    if (typeof v !== "string") throw invalidField(this.name(key), "must be a string");
    if (opts.required && v.length === 0) {
      this.missing.push(this.name(key));
      return undefined;
    }
    if (opts.minLength !== undefined && v.length < opts.minLength)
      throw invalidField(this.name(key), `must be at least ${opts.minLength} characters long`);
    if (opts.maxLength !== undefined && v.length > opts.maxLength)
      throw invalidField(this.name(key), `must be at most ${opts.maxLength} characters long`);
    return v;
  }

  date(key: string, required: true): string;
  date(key: string, required?: false): string | undefined;
  date(key: string, required = false): string | undefined {
    const v = required ? this.string(key, { required: true }) : this.string(key);
    if (v !== undefined && !isIsoDate(v)) throw invalidField(this.name(key), "must be a date in the format YYYY-MM-DD");
    return v;
  }

  integer(key: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.body[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v)) throw invalidField(this.name(key), "must be an integer");
    if (opts.min !== undefined && v < opts.min) throw invalidField(this.name(key), `must be at least ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) throw invalidField(this.name(key), `must be at most ${opts.max}`);
    return v;
  }

  number(key: string, required: true): number;
  number(key: string, required?: false): number | undefined;
  number(key: string, required = false): number | undefined {
    const v = this.body[key];
    if (v === undefined || v === null) {
      if (required) this.missing.push(this.name(key));
      return undefined;
    }
    if (typeof v !== "number" || !Number.isFinite(v)) throw invalidField(this.name(key), "must be a number");
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.body[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") throw invalidField(this.name(key), "must be a boolean");
    return v;
  }

  stringArray(key: string, opts: { required?: boolean; minItems?: number } = {}): string[] | undefined {
    const v = this.body[key];
    if (v === undefined || v === null) {
      if (opts.required) this.missing.push(this.name(key));
      return undefined;
    }
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
      throw invalidField(this.name(key), "must be an array of strings");
    if (opts.minItems !== undefined && v.length < opts.minItems) {
      if (opts.required && v.length === 0) {
        this.missing.push(this.name(key));
        return undefined;
      }
      throw invalidField(this.name(key), `must contain at least ${opts.minItems} item(s)`);
    }
    return v as string[];
  }

  array(key: string, required = false): unknown[] | undefined {
    const v = this.body[key];
    if (v === undefined || v === null) {
      if (required) this.missing.push(this.name(key));
      return undefined;
    }
    if (!Array.isArray(v)) throw invalidField(this.name(key), "must be an array");
    return v;
  }

  /** A nested object, read with its own Fields so errors name the full path (options.count). */
  object(key: string, required = false): Fields | undefined {
    const v = this.body[key];
    if (v === undefined || v === null) {
      if (required) this.missing.push(this.name(key));
      return undefined;
    }
    if (!isObject(v)) throw invalidField(this.name(key), "must be an object");
    return new Fields(v, `${this.name(key)}.`);
  }

  raw(key: string): unknown {
    return this.body[key];
  }
}

/** Plaid's own wording when a field has the right type but a wrong value. */
export function badValue(field: string, why: string): SimError {
  return invalidField(field, why);
}

/**
 * The field checker every per-kind validator is written with: it reads one
 * raw JSON value, checks its JSON type and the CRD constraints (required,
 * length, pattern, enum, range, item counts) and records a precise error with
 * the field path when a check fails. Validators build their typed output from
 * the values it returns; once an error is recorded the output is discarded, so
 * a partial value after an error is harmless.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * const c = new FieldChecker();
 * c.integer(70000, "spec.listeners[1].port", { min: 1, max: 65535 });
 * c.errors; // [{ field: "spec.listeners[1].port", message: "must be between 1 and 65535, got 70000" }]
 * ```
 * @module
 */

/** One failed check: the field path inside the object and what is wrong. */
export interface ValidationError {
  /** Dotted path with indexes, e.g. `spec.rules[0].matches[1].path.value`; `""` is the object itself. */
  field: string;
  /** Lower-case sentence continuing the field, e.g. `must be between 1 and 65535, got 70000`. */
  message: string;
}

/** Constraints on a string field. */
export interface StringRule {
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  /** What the pattern means, for the error message. */
  patternHint?: string;
  oneOf?: readonly string[];
}

/** Constraints on an integer field. */
export interface IntegerRule {
  required?: boolean;
  min?: number;
  max?: number;
  oneOf?: readonly number[];
}

/** Constraints on a list field. */
export interface ListRule {
  required?: boolean;
  minItems?: number;
  maxItems?: number;
}

// Garbage input (a wrong file, a huge list) must not cost unbounded work or
// flood the logs: past this many errors further ones are dropped.
const MAX_ERRORS = 32;

/** Renders a value briefly for an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    return JSON.stringify(value.length > 64 ? value.slice(0, 61) + "..." : value);
  }
  return String(value);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${describeValue(value)}`;
}

/** Collects errors while reading raw fields. */
export class FieldChecker {
  /** Errors found so far, in the order the fields were read. */
  readonly errors: ValidationError[] = [];

  /** Records an error (dropped past the cap). */
  error(field: string, message: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push({ field, message });
  }

  /** Whether any error was recorded. */
  get failed(): boolean {
    return this.errors.length > 0;
  }

  /** Reports a missing required field and returns `undefined`. */
  private absent(field: string, required: boolean | undefined): undefined {
    if (required) this.error(field, "is required");
    return undefined;
  }

  /** A JSON object (not a list). `null` counts as absent, as the API server treats it. */
  object(value: unknown, field: string, required?: boolean): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return this.absent(field, required);
    if (typeof value !== "object" || Array.isArray(value)) {
      this.error(field, `must be an object, got ${typeName(value)}`);
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  /** A string with optional length, pattern and enum constraints. */
  string(value: unknown, field: string, rule: StringRule = {}): string | undefined {
    if (value === undefined || value === null) return this.absent(field, rule.required);
    if (typeof value !== "string") {
      this.error(field, `must be a string, got ${typeName(value)}`);
      return undefined;
    }
    if (rule.oneOf && !rule.oneOf.includes(value)) {
      this.error(field, `must be one of ${rule.oneOf.join(", ")}; got ${describeValue(value)}`);
      return value;
    }
    if (rule.minLength !== undefined && value.length < rule.minLength) {
      this.error(
        field,
        rule.minLength === 1
          ? "must not be empty"
          : `must be at least ${rule.minLength} characters long, got ${value.length}`,
      );
      return value;
    }
    if (rule.maxLength !== undefined && value.length > rule.maxLength) {
      this.error(field, `must be at most ${rule.maxLength} characters long, got ${value.length}`);
      return value;
    }
    // Length is checked first so the pattern never runs on oversized input.
    if (rule.pattern && !rule.pattern.test(value)) {
      this.error(
        field,
        `must be ${rule.patternHint ?? `match ${rule.pattern}`}, got ${describeValue(value)}`,
      );
    }
    return value;
  }

  /** An integer (a JSON number without fraction) with optional range and enum. */
  integer(value: unknown, field: string, rule: IntegerRule = {}): number | undefined {
    if (value === undefined || value === null) return this.absent(field, rule.required);
    if (typeof value !== "number" || !Number.isInteger(value)) {
      this.error(field, `must be an integer, got ${typeName(value)}`);
      return undefined;
    }
    if (rule.oneOf && !rule.oneOf.includes(value)) {
      this.error(field, `must be one of ${rule.oneOf.join(", ")}; got ${value}`);
    } else if (
      (rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)
    ) {
      if (rule.min !== undefined && rule.max !== undefined) {
        this.error(field, `must be between ${rule.min} and ${rule.max}, got ${value}`);
      } else if (rule.min !== undefined) {
        this.error(field, `must be at least ${rule.min}, got ${value}`);
      } else {
        this.error(field, `must be at most ${rule.max}, got ${value}`);
      }
    }
    return value;
  }

  /** A boolean. */
  boolean(value: unknown, field: string, required?: boolean): boolean | undefined {
    if (value === undefined || value === null) return this.absent(field, required);
    if (typeof value !== "boolean") {
      this.error(field, `must be true or false, got ${typeName(value)}`);
      return undefined;
    }
    return value;
  }

  /** A list with optional item-count bounds; items are checked by the caller. */
  list(value: unknown, field: string, rule: ListRule = {}): unknown[] | undefined {
    if (value === undefined || value === null) return this.absent(field, rule.required);
    if (!Array.isArray(value)) {
      this.error(field, `must be a list, got ${typeName(value)}`);
      return undefined;
    }
    if (rule.minItems !== undefined && value.length < rule.minItems) {
      this.error(
        field,
        rule.minItems === 1
          ? "must have at least 1 item"
          : `must have at least ${rule.minItems} items, got ${value.length}`,
      );
    }
    if (rule.maxItems !== undefined && value.length > rule.maxItems) {
      this.error(field, `must have at most ${rule.maxItems} items, got ${value.length}`);
      // Reading thousands of surplus items would only produce more errors.
      return value.slice(0, rule.maxItems);
    }
    return value;
  }

  /** A list whose items are all checked with `read`; absent items are dropped. */
  listOf<T>(
    value: unknown,
    field: string,
    rule: ListRule,
    read: (item: unknown, itemField: string, index: number) => T | undefined,
  ): T[] | undefined {
    const items = this.list(value, field, rule);
    if (!items) return undefined;
    // Built at its final length (`map`), not by `push`: a pushed list keeps
    // room for 17 items, and the store holds a dozen of these per route.
    let dropped = false;
    const out = items.map((item, i) => {
      const v = read(item, `${field}[${i}]`, i);
      if (v === undefined) dropped = true;
      return v;
    });
    return dropped ? out.filter((v): v is T => v !== undefined).slice() : out as T[];
  }

  /** A list of strings, each checked with `rule`. */
  stringList(
    value: unknown,
    field: string,
    rule: ListRule,
    itemRule: StringRule,
  ): string[] | undefined {
    const required = { ...itemRule, required: true };
    return this.listOf(value, field, rule, (item, f) => this.string(item, f, required));
  }

  /**
   * A map of string to string (labels, annotations, selectors). YAML turns
   * `version: 1.0` or `enabled: true` into numbers and booleans; the API
   * server rejects those, and so do we, naming the key.
   */
  stringMap(
    value: unknown,
    field: string,
    keyRule?: StringRule,
    valueRule?: StringRule,
    maxProperties?: number,
  ): Record<string, string> | undefined {
    const obj = this.object(value, field);
    if (!obj) return undefined;
    const out: Record<string, string> = {};
    const requiredValue = { ...valueRule, required: true };
    let count = 0;
    for (const key in obj) {
      count++;
      const keyField = `${field}[${JSON.stringify(key)}]`;
      if (keyRule) this.string(key, keyField, keyRule);
      const v = this.string(obj[key], keyField, requiredValue);
      if (v !== undefined) out[key] = v;
    }
    if (maxProperties !== undefined && count > maxProperties) {
      this.error(field, `must have at most ${maxProperties} entries, got ${count}`);
    }
    return out;
  }

  /** Reports entries whose `key` repeats (CRD `listType=map` keys). */
  unique<T>(
    items: readonly T[] | undefined,
    field: string,
    key: (item: T) => unknown,
    what: string,
  ): void {
    if (!items || items.length < 2) return;
    const seen = new Set<unknown>();
    for (let i = 0; i < items.length; i++) {
      const k = key(items[i]);
      if (k === undefined) continue;
      if (seen.has(k)) {
        this.error(
          `${field}[${i}]`,
          `must be unique: ${what} ${describeValue(k)} appears more than once`,
        );
      }
      seen.add(k);
    }
  }
}

/** Sets `target[key] = value` unless `value` is undefined, so outputs carry no empty keys. */
export function put<T extends object, K extends keyof T>(
  target: T,
  key: K,
  value: T[K] | undefined,
): void {
  if (value !== undefined) target[key] = value;
}

/**
 * Validation of objects received from the API server: `validateResource`
 * (not strict about fields: the server's CRDs may be newer than ours), with
 * its errors turned into `Problem`s named the way the rest of the gateway names
 * objects (`httproute/<ns>/<name>`).
 *
 * @example
 * ```ts
 * import { validateKubeObject } from "./kube_validate.ts";
 * const outcome = validateKubeObject({ apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } });
 * outcome.ok; // true
 * ```
 * @module
 */
import { validateResource } from "../resources/validate.ts";
import type { Problem } from "../model/config.ts";
import type { ObjectValidator, ValidationOutcome } from "./kube_objects.ts";
import { StringInterner } from "./string_interner.ts";

/** Validates one object from a list or a watch event. */
export function validateKubeObject(raw: unknown): ValidationOutcome {
  // The API server checked the object against its CRDs, which may be newer than ours.
  const result = validateResource(raw, { strict: false });
  if (result.ok) return { ok: true, object: result.value };
  const o = raw as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  const kind = String(result.kind ?? o?.kind ?? "object").toLowerCase();
  const namespace = typeof o?.metadata?.namespace === "string" ? o.metadata.namespace : undefined;
  const name = typeof o?.metadata?.name === "string" ? o.metadata.name : "";
  const object = `${kind}/${namespace ? `${namespace}/` : ""}${name}`;
  if (result.ignored) {
    return {
      ok: false,
      problems: [{
        object,
        message:
          `Cannot read object: ${result.apiVersion} ${result.kind} is not a kind the gateway reads`,
      }],
    };
  }
  return {
    ok: false,
    problems: result.errors.map((e): Problem => ({
      object,
      ...(e.field ? { field: e.field } : {}),
      message: e.message,
    })),
  };
}

/**
 * `validate`, with the strings of each accepted object interned
 * (`string_interner.ts`): one validator, so one table, for every kind of a source.
 *
 * @example
 * ```ts
 * import { internedValidator, validateKubeObject } from "./kube_validate.ts";
 * const validate = internedValidator(validateKubeObject);
 * validate({ apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } }).ok; // true
 * ```
 */
export function internedValidator(
  validate: ObjectValidator,
  interner: StringInterner = new StringInterner(),
): ObjectValidator {
  return (raw) => {
    const outcome = validate(raw);
    if (outcome.ok) interner.internAll(outcome.object);
    return outcome;
  };
}

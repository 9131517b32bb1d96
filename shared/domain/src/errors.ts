/** Why a value was rejected. Stable strings: services map them to problem+json. */
export type ValidationCode =
  | 'missing' // a required field is absent
  | 'not-allowed' // a field that does not belong here (unknown, or of another mode)
  | 'type' // wrong JSON/JS type
  | 'length' // string or list too short or too long
  | 'charset' // a character outside the field's alphabet
  | 'range' // a number outside its bounds, or not an integer
  | 'invariant'; // fields that do not agree with each other

/** Bad input: a typed error carrying the field and the reason, never an assertion. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly field: string;
  readonly code: ValidationCode;

  constructor(field: string, code: ValidationCode, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
    this.code = code;
  }
}

// The subset of JSON Schema used to describe launch/attach attributes. One description serves two
// readers: VS Code (package.json configurationAttributes, via scripts/sync-manifest.ts) and the
// adapter's validator (validate.ts), so what the editor suggests and what the adapter accepts agree.

interface Documented {
  /** Plain-text description shown by VS Code's launch.json IntelliSense and in error messages. */
  description?: string;
  markdownDescription?: string;
}

export interface StringSchema extends Documented {
  type: 'string';
  default?: string;
  enum?: readonly string[];
  enumDescriptions?: readonly string[];
  /** ECMAScript regular expression (JSON Schema `pattern`); VS Code checks it too. */
  pattern?: string;
  /** Says what a value matching `pattern` looks like; used by VS Code and by the validator. */
  patternErrorMessage?: string;
  minLength?: number;
}

export interface IntegerSchema extends Documented {
  type: 'integer';
  default?: number;
  minimum?: number;
  maximum?: number;
}

export interface BooleanSchema extends Documented {
  type: 'boolean';
  default?: boolean;
}

export interface ArraySchema extends Documented {
  type: 'array';
  items: AttributeSchema;
  default?: readonly unknown[];
  uniqueItems?: boolean;
}

export interface ObjectSchema extends Documented {
  type: 'object';
  /** Known keys. */
  properties?: Readonly<Record<string, AttributeSchema>>;
  /** Schema of keys not in `properties`; `false` rejects them. */
  additionalProperties?: false | AttributeSchema;
  required?: readonly string[];
  default?: Readonly<Record<string, unknown>>;
}

export type AttributeSchema = StringSchema | IntegerSchema | BooleanSchema | ArraySchema | ObjectSchema;

/** One `request` kind's attributes, as VS Code's `configurationAttributes.launch`/`.attach`. */
export interface RequestSchema {
  required: readonly string[];
  properties: Readonly<Record<string, AttributeSchema & { description: string }>>;
}

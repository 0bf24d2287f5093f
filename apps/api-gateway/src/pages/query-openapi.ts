import type { OpenAPIObject, ReferenceObject } from '@nestjs/swagger';

type SchemaObject = Exclude<NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string], ReferenceObject>;

/**
 * The OpenAPI schemas of Notion's filter and sort shapes, as the query route
 * takes them (docs/queries.md), so that generated clients type them.
 * Referenced from `QueryPagesDto`; added to the document's components at boot.
 */

const ref = (name: string): ReferenceObject => ({ $ref: `#/components/schemas/${name}` });
const one = (operator: string, schema: SchemaObject): SchemaObject => ({
  type: 'object',
  required: [operator],
  additionalProperties: false,
  properties: { [operator]: schema },
});
const oneOf = (...schemas: Array<SchemaObject | ReferenceObject>): SchemaObject => ({ oneOf: schemas });
const TRUE: SchemaObject = { type: 'boolean', enum: [true] };
const EMPTY: SchemaObject = { type: 'object', additionalProperties: false, maxProperties: 0 };
const STRING_OR_LIST: SchemaObject = oneOf({ type: 'string' }, { type: 'array', items: { type: 'string' } });

const existence = [one('is_empty', TRUE), one('is_not_empty', TRUE)];

const textCondition = oneOf(
  ...['equals', 'does_not_equal', 'contains', 'does_not_contain', 'starts_with', 'ends_with'].map((op) =>
    one(op, { type: 'string', maxLength: 2000 }),
  ),
  ...existence,
);
const numberCondition = oneOf(
  ...['equals', 'does_not_equal', 'greater_than', 'less_than', 'greater_than_or_equal_to', 'less_than_or_equal_to'].map(
    (op) => one(op, { type: 'number' }),
  ),
  ...existence,
);
const checkboxCondition = oneOf(one('equals', { type: 'boolean' }), one('does_not_equal', { type: 'boolean' }));
const DATE_VALUE: SchemaObject = {
  type: 'string',
  description:
    'An ISO 8601 date (a UTC day) or date-time (UTC without an offset), or today, tomorrow, yesterday, ' +
    'one_week_ago, one_week_from_now, one_month_ago, one_month_from_now',
  example: '2026-01-31',
};
const dateCondition = oneOf(
  ...['equals', 'before', 'after', 'on_or_before', 'on_or_after'].map((op) => one(op, DATE_VALUE)),
  ...['this_week', 'past_week', 'past_month', 'past_year', 'next_week', 'next_month', 'next_year'].map((op) =>
    one(op, EMPTY),
  ),
  ...existence,
);
const optionCondition = (positive: string, negative: string) =>
  oneOf(one(positive, STRING_OR_LIST), one(negative, STRING_OR_LIST), ...existence);
const idCondition = oneOf(
  one('contains', { type: 'string', format: 'uuid' }),
  one('does_not_contain', { type: 'string', format: 'uuid' }),
  ...existence,
);
const existenceOnly = oneOf(...existence);
const verificationCondition = oneOf(
  one('status', { type: 'string', enum: ['verified', 'expired', 'none'] }),
  one('does_not_equal', { type: 'string', enum: ['verified', 'expired', 'none'] }),
);

const ROLLUP_ELEMENT: Record<string, SchemaObject> = {
  rich_text: textCondition,
  number: numberCondition,
  checkbox: checkboxCondition,
  select: optionCondition('equals', 'does_not_equal'),
  multi_select: optionCondition('contains', 'does_not_contain'),
  relation: idCondition,
  date: dateCondition,
  people: idCondition,
  files: existenceOnly,
  status: optionCondition('equals', 'does_not_equal'),
};
const rollupElement = oneOf(...Object.entries(ROLLUP_ELEMENT).map(([type, schema]) => one(type, schema)));

/** The condition each property type takes, under its type's key. */
const CONDITIONS: Record<string, SchemaObject> = {
  title: textCondition,
  rich_text: textCondition,
  url: textCondition,
  email: textCondition,
  phone_number: textCondition,
  number: numberCondition,
  unique_id: numberCondition,
  checkbox: checkboxCondition,
  select: optionCondition('equals', 'does_not_equal'),
  status: optionCondition('equals', 'does_not_equal'),
  multi_select: optionCondition('contains', 'does_not_contain'),
  date: dateCondition,
  created_time: dateCondition,
  last_edited_time: dateCondition,
  people: idCondition,
  created_by: idCondition,
  last_edited_by: idCondition,
  relation: idCondition,
  files: existenceOnly,
  verification: verificationCondition,
  formula: oneOf(
    one('string', textCondition),
    one('number', numberCondition),
    one('checkbox', checkboxCondition),
    one('date', dateCondition),
  ),
  rollup: oneOf(
    one('number', numberCondition),
    one('date', dateCondition),
    one('any', rollupElement),
    one('every', rollupElement),
    one('none', rollupElement),
  ),
};

const PROPERTY = {
  type: 'string',
  description: 'The property, by name or id (an id wins when a string is both)',
} as const;

export const QUERY_SCHEMAS: Record<string, SchemaObject> = {
  PropertyFilter: oneOf(
    ...Object.entries(CONDITIONS).map(([type, condition]): SchemaObject => ({
      type: 'object',
      required: ['property', type],
      additionalProperties: false,
      properties: { property: PROPERTY, type: { type: 'string', enum: [type] }, [type]: condition },
    })),
  ),
  TimestampFilter: oneOf(
    ...['created_time', 'last_edited_time'].map((field): SchemaObject => ({
      type: 'object',
      required: ['timestamp', field],
      additionalProperties: false,
      properties: {
        timestamp: { type: 'string', enum: [field] },
        type: { type: 'string', enum: [field] },
        [field]: dateCondition,
      },
    })),
  ),
  CompoundFilter: oneOf(
    ...['and', 'or'].map((group): SchemaObject =>
      one(group, {
        type: 'array',
        maxItems: 100,
        description: 'Compound filters nest two levels deep at most',
        items: oneOf(ref('PropertyFilter'), ref('TimestampFilter'), ref('CompoundFilter')),
      }),
    ),
  ),
  QuerySort: oneOf(
    {
      type: 'object',
      required: ['property', 'direction'],
      additionalProperties: false,
      properties: { property: PROPERTY, direction: { type: 'string', enum: ['ascending', 'descending'] } },
    },
    {
      type: 'object',
      required: ['timestamp', 'direction'],
      additionalProperties: false,
      properties: {
        timestamp: { type: 'string', enum: ['created_time', 'last_edited_time'] },
        direction: { type: 'string', enum: ['ascending', 'descending'] },
      },
    },
  ),
};

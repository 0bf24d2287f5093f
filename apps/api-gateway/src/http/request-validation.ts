import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';
import type { FieldErrorDto } from './problem-details.js';

/** A request whose body, query or params failed validation; carries every field error. */
export class RequestValidationError extends BadRequestException {
  constructor(readonly fieldErrors: FieldErrorDto[]) {
    super('The request is not valid: see errors');
  }
}

function flatten(errors: ValidationError[], parent = ''): FieldErrorDto[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Every input is a DTO class: unknown fields are rejected (no mass assignment
 * of ownerId or id), values are transformed to their declared types.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationError(flatten(errors)),
  });
}

/**
 * `@Transform` for a whole-number query parameter: plain decimal digits only
 * (Number() would take 0x2, 1e1 or " 1"); anything else is left for the
 * validators to refuse.
 */
export const queryInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value;

import { ErrorCode } from '../graphql/errors';

/** A refusal of an accounts operation, with the code the API answers it with. */
export class AccountError extends Error {
  constructor(
    readonly code: typeof ErrorCode.NOT_FOUND | typeof ErrorCode.BAD_USER_INPUT,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * RoleWatch's error hierarchy. Bad input is reported and dropped; infrastructure failures propagate so
 * that the event is retried. Callers tell the two apart by class, never by message.
 */
export class RoleWatchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The configuration or the environment is invalid; the message names the key or variable. */
export class ConfigError extends RoleWatchError {}

/**
 * An input record cannot be understood as a CloudTrail event. Never retried. `reason` is a short stable category
 * (`invalid eventTime`, `invalid account id`...) for summaries; the message says the rest.
 */
export class InvalidEventError extends RoleWatchError {
  readonly reason: string | undefined;

  constructor(
    message: string,
    readonly eventId?: string,
    options?: { cause?: unknown; reason?: string },
  ) {
    super(message, options);
    this.reason = options?.reason;
  }
}

/**
 * A conditional write kept losing to other writers of the same item. Infrastructure, not input: it propagates
 * so that the event is retried later, and nothing was written.
 */
export class WriteContentionError extends RoleWatchError {}

/**
 * The AWS credentials are missing, expired, refused, or lack a permission: the message says what to set or
 * grant. A command that needs AWS stops with it (exit 2) rather than report an account it could not read.
 */
export class CredentialsError extends RoleWatchError {}

/** A policy document cannot be parsed or is not a valid IAM policy. */
export class InvalidPolicyError extends RoleWatchError {}

/** A requested resource (finding, role, policy) does not exist. */
export class NotFoundError extends RoleWatchError {}

/** Input to the reporting API or the CLI is invalid; `field` names what was wrong. */
export class ValidationError extends RoleWatchError {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

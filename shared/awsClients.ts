/**
 * Options of every AWS client a function builds: a request that does not answer is abandoned and retried by
 * the SDK well within the function's timeout (the default socket timeout is five minutes).
 */
export const AWS_CLIENT_OPTIONS = {
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
} as const;

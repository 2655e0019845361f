// Schemas shared by every route module: the CSP error body and the error responses of an operation.
import Type from 'typebox';

export const CspError = Type.Object({
  statusCode: Type.Integer(),
  moduleCode: Type.Integer(),
  cspErrorCode: Type.String({ examples: ['330.133'] }),
  errorCode: Type.String({ examples: ['OAUTH_ORGANIZATION_CLIENT_NOT_FOUND_ERROR'] }),
  message: Type.String(),
  requestId: Type.String({ description: 'Equals the X-Request-Id response header' }),
  error: Type.Optional(Type.String({ description: 'Token endpoints: RFC 6749 error code' })),
  error_description: Type.Optional(Type.String({ description: 'Token endpoints: RFC 6749 error description' })),
}, {
  title: 'CspErrorResponse',
  examples: [{ statusCode: 404, moduleCode: 330, cspErrorCode: '330.133', errorCode: 'OAUTH_ORGANIZATION_CLIENT_NOT_FOUND_ERROR', message: "OAuth app 'ci-bot' not found in organization 5c0f8e0e-3d7a-4d4f-9c59-0d6a2f1e7b11", requestId: '9f2c4b1e0a7d4c8e8b3f6a5d2c1e0f9a' }],
});

const DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'The request is invalid',
  401: 'The user is not authorized to use the API',
  403: 'The user is forbidden to use the API',
  404: 'The requested resource could not be found',
  409: 'The request could not be processed due to a conflict',
  413: 'The request body is too large',
  415: 'The request body is not JSON',
  429: 'The user has sent too many requests',
  500: 'An unexpected error has occurred while processing the request',
};

export function errorResponses(...statuses: number[]): Record<number, typeof CspError> {
  return Object.fromEntries(statuses.map((status) => [status, { ...CspError, description: DESCRIPTIONS[status] ?? 'Error' }]));
}

export const MANAGEMENT_SECURITY: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { cspAuthToken: [] }];

export const IDEMPOTENCY_HEADER = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$', description: 'Beyond CSP: A retry with the same key and body within 10 minutes replays the first response' })),
}, { additionalProperties: true });

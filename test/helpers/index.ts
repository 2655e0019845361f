// One import for test files.
export * from './server.js';
export * from './api.js';

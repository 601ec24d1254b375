// @raven/types: the Socket.IO events and REST API of Raven, typed. See README.md.
export * from './events.js';
export * from './rest.js';
export * from './api.js';

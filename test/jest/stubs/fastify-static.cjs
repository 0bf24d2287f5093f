/**
 * Jest stand-in for @fastify/static, which the OpenAPI UI uses for its assets.
 * The real package `require`s ESM-only dependencies (content-disposition),
 * which Jest's module runtime cannot load before Node 24.9. In-process specs
 * get a plugin that serves nothing; the UI's assets are checked against the
 * built gateway process (apps/api-gateway/test/projects.e2e-spec.ts).
 */
// eslint-disable-next-line no-undef -- a CommonJS file, on purpose
module.exports = async function fastifyStaticStub() {};

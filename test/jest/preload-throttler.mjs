/**
 * Loads @nestjs/throttler (CommonJS only) in a module graph of its own, before
 * each spec's.
 *
 * Jest runs a CommonJS dependency while it is still building the ES module
 * graph that imports it (Node runs it in order, during evaluation), so the
 * package's require('@nestjs/common') reaches a graph Jest has not finished and
 * Jest refuses it as a cycle (ERR_REQUIRE_CYCLE_MODULE; jestjs/jest#16366).
 * Imported here first, @nestjs/common is already evaluated when the spec's graph
 * meets it, and both share that one instance (`instanceof HttpException` holds).
 * Node itself needs none of this: the built apps load the package as they are.
 */
import '@nestjs/throttler';

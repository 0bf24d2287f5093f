import pg from 'pg';

const READ_TIMEOUT = 'Query read timeout';

/**
 * A `pg.Client` that closes its connection when a query hits `query_timeout`.
 *
 * pg only rejects the timed-out query; outside pipeline mode it keeps the
 * connection, with the unanswered query still in flight, and TypeORM returns it
 * to the pool as healthy. After a network partition every later query on it
 * would time out too, until the kernel gives up on the socket (minutes).
 * Destroying the socket makes the pool drop the client and connect afresh.
 */
export class TimeoutSafeClient extends pg.Client {
  // pg's overloads are many; this wrapper only watches the promise form, which
  // is the one TypeORM uses (`await connection.query(sql, parameters)`).
  override query(...args: unknown[]): never {
    const result = (super.query as (...a: unknown[]) => unknown).apply(this, args);
    if (result instanceof Promise) {
      result.catch((err: unknown) => {
        if (err instanceof Error && err.message === READ_TIMEOUT) this.connection.stream.destroy();
      });
    }
    return result as never;
  }
}

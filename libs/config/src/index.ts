export { AppConfig, type EncryptionKey, type TokenLimits } from './app-config.js';
export { ConfigModule } from './config.module.js';
export { derivedKey } from './derived-key.js';
export { ENV_SCHEMA, type EnvName } from './env.schema.js';
export { ConfigValidationError, loadConfig, loadConfigOrExit } from './load-config.js';
export { isLoopbackHost, isLoopbackOrigin } from './loopback.js';

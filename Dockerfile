# One image for all three apps and the migrations; docker-compose.yml picks the
# entrypoint per service with `command`. The default runs the api-gateway.
#
#   docker build -t notion-sync:local .
#   docker run --rm notion-sync:local node dist/apps/cli/apps/cli/src/migrate.js
#
# No HEALTHCHECK here: each app serves /health/ready on its own port, so the
# probe belongs to the service that picks the app (see docker-compose.yml).

# ---- build: dev dependencies + `nest build` into dist/ ----------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

# ---- prod-deps: runtime dependencies only -----------------------------------
FROM node:24-bookworm-slim AS prod-deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# ---- runtime: dist/ + production node_modules, non-root ---------------------
FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
# V8's young generation and old-generation limit sized for a service
# (scripts/stack.mjs APP_NODE_OPTIONS, which npm start and the benchmarks use
# too; BENCHMARKS.md, footprint).
ENV NODE_OPTIONS="--max-semi-space-size=4 --max-old-space-size=192"
# Two glibc malloc arenas, not one per helper thread (scripts/stack.mjs APP_ENV).
ENV MALLOC_ARENA_MAX=2
# Inside a container the apps must accept connections from other containers.
ENV HOST=0.0.0.0
# Files stay owned by root: the app user can read them but not change them.
# package.json is needed at run time for "type": "module".
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The official image's unprivileged user (uid 1000).
USER node
# 3000 public API; 3001/3002 worker health and metrics; 3003 the gateway's admin port.
EXPOSE 3000 3001 3002 3003
# The apps drain and exit 0 on SIGTERM; exec-form CMD makes node PID 1 and
# delivers the signal to it directly (no shell in between).
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/api-gateway/apps/api-gateway/src/main.js"]

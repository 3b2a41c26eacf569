# syntax=docker/dockerfile:1
# Production image: compiled JavaScript on Node 22 LTS, production dependencies only,
# running as a non-root user. The database is external (MONGODB_URI), see docker-compose.yml.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the postinstall only fetches the local MongoDB stand-in, not needed here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:22-bookworm-slim AS runtime
# A 128 MB heap keeps a 100,000-row export under 250 MB RSS (bench:export); nothing else needs more.
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 NODE_OPTIONS=--max-old-space-size=128
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node flows ./flows
COPY --chown=node:node locales ./locales
COPY --chown=node:node data-seed ./data-seed
COPY --chown=node:node public ./public
COPY --chown=node:node templates ./templates
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]

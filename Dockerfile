# syntax=docker/dockerfile:1
# costgraph's production image: one image, every service. The process is chosen by the
# arguments: `serve ingest|gateway|expenses|kubecost` for a service, `migrate` for the
# migration Job of a release.
#
# The base is pinned by exact tag and by the digest of that tag's multi-platform index, so a
# rebuild of the same commit gets the same Node.js and Debian packages; docs/deploy.md says how
# to refresh the digest. Both stages use the same base so native modules (snappy) built or
# fetched in one run in the other.
ARG NODE_IMAGE=node:20.20.0-bookworm-slim@sha256:d8a35d586fad3af7abb6fdb9ba972388395405f4d462da9e4a4ddcde67b5e0fb

# Build: everything (dev dependencies included) to compile TypeScript to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build ./scripts/build
COPY lib ./lib
COPY ingest ./ingest
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY cli ./cli
COPY schema ./schema
COPY dashboard ./dashboard
RUN npm run build

# Runtime: production dependencies from the lock file and the compiled dist/ only. No
# TypeScript sources, tests, benchmarks, tsx, typescript or jest.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
# The image's `node` user, by number: Kubernetes can only enforce runAsNonRoot on a numeric USER.
USER 1000:1000
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve", "gateway"]

# Roomkeeper's container image: built with the Swift toolchain, run on Debian slim as a non-root
# user with only the system libraries the binary links and the tools signature checks call.
#
#   docker build -t roomkeeper:$(sed -n 's/^## \[\([0-9.]*\)\].*/\1/p' CHANGELOG.md | head -1) .
#
# The image's tag is the version `roomkeeper --version` prints and CHANGELOG.md's newest heading.

FROM swift:6.3-bookworm AS build
# Unpinned on purpose: Debian stable only takes security and bug fixes, which pins would block.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libyaml-dev libgit2-dev libsqlite3-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift CHANGELOG.md README.md ./
COPY Sources Sources
COPY scripts/release scripts/release
# The release tarball, unpacked under /out/usr/local: binary, man page, completions, licences.
RUN tarball=$(scripts/release /tmp/dist) \
    && mkdir -p /out/usr/local \
    && tar -xzf "$tarball" -C /out/usr/local --strip-components=1

FROM debian:bookworm-slim
# libyaml, libgit2 and libsqlite3 are linked; ca-certificates for HTTPS to the portal, Graph and git;
# ssh-keygen (openssh-client) and gpgv check signed commits when --allowed-signers or --gpg-keyring
# is given. The git command itself is not needed: Roomkeeper reads git through libgit2.
# Unpinned on purpose, as above. glibc, libstdc++, libgcc and zlib come with the base image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libyaml-0-2 libgit2-1.5 libsqlite3-0 ca-certificates openssh-client gpgv \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 roomkeeper \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/roomkeeper --create-home --shell /usr/sbin/nologin roomkeeper
COPY --from=build /out/ /
USER 10001:10001
ENV ROOMKEEPER_STATE_DIR=/var/lib/roomkeeper/state
WORKDIR /var/lib/roomkeeper
# Exec form: no shell runs at start.
ENTRYPOINT ["/usr/local/bin/roomkeeper"]
CMD ["--help"]

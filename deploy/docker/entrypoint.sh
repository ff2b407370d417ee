#!/bin/sh
# Container entrypoint for an application image that has a shell. (An image without one,
# such as distroless, uses the exec form directly, with SECRETSMITH_ENV set by the platform:
#   ENTRYPOINT ["/usr/local/bin/secretsmith", "exec", "--frozen", "--"]  )
# secretsmith writes the template and json outputs, puts the dotenv, shell and
# docker-env-file outputs' values into the environment, and then *becomes* the
# application (execve): the application keeps this process id (PID 1 without an init),
# receives SIGTERM from the runtime directly, and its exit status is the container's.
#
#   ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
#   CMD ["/usr/local/bin/app", "--port", "8080"]
#
# SECRETSMITH_CONFIG and SECRETSMITH_ENV choose the file and the environment.
# --frozen reads exactly the versions pinned in secretsmith.lock (shipped next to the
# configuration), so every replica of one image starts with the same secrets.
# Set SECRETSMITH_FROZEN=0 to read the versions the configuration names instead.
set -eu
: "${SECRETSMITH_ENV:?set SECRETSMITH_ENV to the environment to run in}"
if [ "${SECRETSMITH_FROZEN:-1}" = 0 ]; then
    exec "${SECRETSMITH:-secretsmith}" exec -- "$@"
fi
exec "${SECRETSMITH:-secretsmith}" exec --frozen -- "$@"

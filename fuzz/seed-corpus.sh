#!/usr/bin/env bash
# Seeds for the fuzz targets from the repository's fixtures and examples, plus a few
# hand-written inputs in each target's input format (see Sources/SecretsmithFuzzing).
# Usage: fuzz/seed-corpus.sh DIRECTORY   (writes DIRECTORY/TARGET/*)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: fuzz/seed-corpus.sh DIRECTORY}
rm -rf "$out"
for target in configuration template reference access-response oauth-response serve-routing jwt; do
    mkdir -p "$out/$target"
done

copy() { # copy TARGET FILE...: each file under a name made of its path
    local target=$1; shift
    for file in "$@"; do
        [ -f "$file" ] && cp "$file" "$out/$target/$(echo "$file" | tr '/' '_')"
    done
    return 0
}
seed() { # seed TARGET NAME PRINTF-FORMAT [ARGS...]
    local target=$1 name=$2; shift 2
    # shellcheck disable=SC2059
    printf "$@" > "$out/$target/$name"
}

# configuration: every secretsmith.yaml of the examples, deployments and test fixtures.
copy configuration examples/*.yaml Tests/SecretsmithTests/Fixtures/config/*.yaml \
    $(find deploy -name 'secretsmith*.yaml' | sort)
seed configuration anchors 'version: 1\ndefaults: &d\n  cache: { ttl: 5m }\nenvironments:\n  dev:\n    <<: *d\n    projects:\n      app: { project_id: ${PROJECT}, secrets: { a: {} } }\n'
seed configuration flow '{version: 1, environments: {dev: {projects: {app: {project_id: p, secrets: {x: {version: "2"}}}}}}}\n'

# template: the templates of the examples, deployments and test fixtures.
copy template templates/*.tmpl Tests/SecretsmithTests/Fixtures/templates/*.tmpl $(find deploy -name '*.tmpl' | sort)
seed template all-filters 'a: << secret "app/config#/redis/url" | json >>\nb: << secret "app/multiline" | indent 4 >>\nc: << secret "app/base64" | base64decode | trim >>\nd: << env "HOME" | shell >>\ne: << "<<" >> << secret "app/binary" | base64 >> << secret "app/db-password" | urlquery | trimnl >>\n'
seed template errors '<< secrte "a/b" >>\n<< secret "a/b" | nope >>\n<< secret "unterminated\n<< env "UNSET" >>\n'

# reference: first line a reference (or pointer), the rest a JSON payload.
seed reference full 'dev/app/config@3#/redis/url\n{"redis":{"url":"x"},"a~b":[1,2,{"c/d":true}]}'
seed reference pointer '/a~0b/1/c~1d\n{"a~b":[0,{"c/d":null}]}'
seed reference relative 'app/db-password@latest\n"plain"'
seed reference tabs 'a\tb~c\t/d\t\n[]'
for file in Tests/SecretsmithTests/Fixtures/pubsub/events/*.json; do
    { printf 'dev/app/event#/message/attributes/eventType\n'; cat "$file"; } > "$out/reference/event-$(basename "$file")"
done

# access-response: Secret Manager's answers and error envelopes.
seed access-response access '{"name":"projects/123/secrets/db/versions/7","payload":{"data":"aGVsbG8=","dataCrc32c":"2591144134"}}'
seed access-response empty '{"name":"projects/123/locations/europe-west1/secrets/db/versions/1","payload":{}}'
seed access-response number-crc '{"name":"projects/1/secrets/s/versions/2","payload":{"data":"","dataCrc32c":0}}'
seed access-response error '{"error":{"code":429,"message":"Quota exceeded.","status":"RESOURCE_EXHAUSTED"}}'
seed access-response metadata '{"name":"projects/1/secrets/s/versions/3","createTime":"2026-01-01T00:00:00Z","state":"ENABLED","etag":"\\"abc\\""}'
copy access-response Tests/SecretsmithTests/Fixtures/pubsub/error-*.json

# oauth-response: byte 0 picks the status (0: 200, 3: 400, 8: 500), the rest is the body.
seed oauth-response token '\000{"access_token":"ya29.token","expires_in":3599,"token_type":"Bearer"}'
seed oauth-response no-type '\000{"access_token":"t","expires_in":1e3}'
seed oauth-response refused '\003{"error":"invalid_grant","error_description":"Bad\\nRequest"}'
seed oauth-response envelope '\010{"error":{"code":500,"message":"backend","status":"INTERNAL"}}'

# serve-routing: byte 0 flags (1 POST, 2 valid token, 4 required header, 8 unknown token),
# the request target up to \n, then the body.
seed serve-routing healthz '\000/healthz'
seed serve-routing readyz '\000/readyz'
seed serve-routing access '\006/v1/projects/fuzz-project/secrets/db-password/versions/latest:access'
seed serve-routing regional '\006/v1/projects/fuzz-project/locations/europe-west1/secrets/regional/versions/3'
seed serve-routing reference '\006/v1/references/dev/app/config%%40latest%%23/a~1b'
seed serve-routing denied '\006/v1/references/prod/app/db-password'
seed serve-routing render '\007/v1/outputs/app-env:render?environment=dev\n{}'
seed serve-routing no-token '\004/v1/references/dev/app/db-password'
seed serve-routing unknown-token '\014/v1/projects/fuzz-project/secrets/db-password/versions/1:access'
seed serve-routing pubsub '\001/v1/events/pubsub\n{"message":{"data":"e30="}}'

# jwt: byte 0 flags (1: the rest is HEADER\nCLAIMS, signed by the target; 2: Google's issuer).
seed jwt kubernetes '\001{"alg":"ES256","kid":"fuzz-es256","typ":"JWT"}\n{"iss":"https://kubernetes.default.svc.cluster.local","aud":["secretsmith"],"exp":1800000600,"iat":1799999000,"nbf":1799999000,"sub":"system:serviceaccount:payments:api","kubernetes.io":{"namespace":"payments","serviceaccount":{"name":"api"}}}'
seed jwt google '\003{"alg":"ES256","kid":"fuzz-es256"}\n{"iss":"accounts.google.com","aud":"secretsmith","exp":1800000600,"email":"ci@example.iam.gserviceaccount.com","email_verified":true,"sub":"1234"}'
seed jwt expired '\001{"alg":"ES256"}\n{"iss":"https://kubernetes.default.svc.cluster.local","aud":"secretsmith","exp":1700000000,"sub":"x"}'
seed jwt none '\000eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2t1YmVybmV0ZXMuZGVmYXVsdC5zdmMuY2x1c3Rlci5sb2NhbCJ9.'
seed jwt hs256 '\000eyJhbGciOiJIUzI1NiIsImtpZCI6ImZ1enotZXMyNTYifQ.eyJpc3MiOiJodHRwczovL2t1YmVybmV0ZXMuZGVmYXVsdC5zdmMuY2x1c3Rlci5sb2NhbCIsImF1ZCI6InNlY3JldHNtaXRoIn0.c2lnbmF0dXJl'

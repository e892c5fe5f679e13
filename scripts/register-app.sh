#!/usr/bin/env bash
# The micromentor app registration in Entra ID, with the Azure CLI (az login as an admin who may create
# app registrations and grant admin consent). See the README's "Deploy to Azure" section for the order:
#
#   scripts/register-app.sh create      app registration, API (scope + Mentoring.Admin role), Graph
#                                       application permissions; prints the azd env lines to run
#   scripts/register-app.sh federate    after `azd up`: trust the function app's managed identity as a
#                                       federated identity credential (no secret, no certificate), and add
#                                       the add-in's URIs (api://<host>/<client id>, SPA redirect URIs)
#   scripts/register-app.sh consent     admin consent for the Graph application permissions
#
# SCOPED_MAILBOXES=1 leaves Calendars.ReadWrite and MailboxSettings.Read out of the Entra ID grant: with
# RBAC for Applications in Exchange Online granting them per mailbox scope instead (the README's step), an
# Entra ID grant would add tenant-wide access on top, since the two are additive.
#
# Needs bash 4+ (mapfile), az and azd. Every subcommand may be run again.
set -euo pipefail

NAME="${MICROMENTOR_APP_NAME:-micromentor}"
GRAPH=00000003-0000-0000-c000-000000000000
PERMISSIONS=(User.Read.All OnlineMeetings.Read.All OnlineMeetingArtifact.Read.All)
[[ "${SCOPED_MAILBOXES:-0}" == 1 ]] || PERMISSIONS+=(Calendars.ReadWrite MailboxSettings.Read)

new_uuid() { cat /proc/sys/kernel/random/uuid 2>/dev/null || uuidgen | tr '[:upper:]' '[:lower:]'; }

app_id() {
  local id="${MICROMENTOR_CLIENT_ID:-$(azd env get-value MICROMENTOR_CLIENT_ID 2>/dev/null || true)}"
  [[ -n "$id" ]] || { echo "MICROMENTOR_CLIENT_ID is not set (run: $0 create)" >&2; exit 2; }
  echo "$id"
}

# Every subcommand may run again: it looks up what exists, keeps it, and adds only what is missing.

# The identifier URIs the app has, plus the given ones (a custom MICROMENTOR_API_AUDIENCE is never dropped).
add_identifier_uris() {
  local id="$1"; shift
  local uris=() uri
  mapfile -t uris < <(az ad app show --id "$id" --query "identifierUris[]" -o tsv)
  for uri in "$@"; do
    [[ " ${uris[*]} " == *" $uri "* ]] || uris+=("$uri")
  done
  az ad app update --id "$id" --identifier-uris "${uris[@]}"
}

create() {
  local id object scope_id role_id
  id="${MICROMENTOR_CLIENT_ID:-$(az ad app list --display-name "$NAME" --query "[0].appId" -o tsv)}"
  if [[ -z "$id" ]]; then
    id=$(az ad app create --display-name "$NAME" --sign-in-audience AzureADMyOrg --query appId -o tsv)
  else
    echo "Using the existing app registration $NAME: $id"
  fi
  object=$(az ad app show --id "$id" --query id -o tsv)
  # A custom audience from an earlier run stays the one printed below (azd env), as well as in identifierUris.
  local audience="${MICROMENTOR_API_AUDIENCE:-$(azd env get-value MICROMENTOR_API_AUDIENCE 2>/dev/null || true)}"
  audience="${audience:-api://$id}"
  add_identifier_uris "$id" "$audience"

  # The add-in's nested app authentication asks for this delegated scope; admins hold the app role. The ids
  # of an existing scope and role are kept: Entra ID refuses to replace an enabled one.
  scope_id=$(az ad app show --id "$id" --query "api.oauth2PermissionScopes[?value=='access_as_user'].id | [0]" -o tsv)
  role_id=$(az ad app show --id "$id" --query "appRoles[?value=='Mentoring.Admin'].id | [0]" -o tsv)
  [[ -n "$scope_id" ]] || scope_id=$(new_uuid)
  [[ -n "$role_id" ]] || role_id=$(new_uuid)
  az rest --method PATCH --uri "https://graph.microsoft.com/v1.0/applications/$object" --headers \
    Content-Type=application/json --body "{
      \"api\": {\"requestedAccessTokenVersion\": 2, \"oauth2PermissionScopes\": [{
        \"id\": \"$scope_id\", \"value\": \"access_as_user\", \"type\": \"User\", \"isEnabled\": true,
        \"adminConsentDisplayName\": \"Book mentoring sessions\",
        \"adminConsentDescription\": \"Lets the Outlook add-in find slots and book sessions as the user.\",
        \"userConsentDisplayName\": \"Book mentoring sessions\",
        \"userConsentDescription\": \"Find slots and book mentoring sessions as you.\"}]},
      \"appRoles\": [{\"id\": \"$role_id\", \"value\": \"Mentoring.Admin\", \"isEnabled\": true,
        \"allowedMemberTypes\": [\"User\"], \"displayName\": \"Mentoring admin\",
        \"description\": \"Edits the focus-time policy and reads the mentoring report.\"}]
    }"

  # Graph application permissions, looked up by name (ids are the same in every tenant); present ones stay.
  local name permission granted
  granted=$(az ad app show --id "$id" --query "requiredResourceAccess[?resourceAppId=='$GRAPH'].resourceAccess[].id" -o tsv)
  for name in "${PERMISSIONS[@]}"; do
    permission=$(az ad sp show --id "$GRAPH" --query "appRoles[?value=='$name'].id | [0]" -o tsv)
    grep -qx "$permission" <<<"$granted" && continue
    az ad app permission add --id "$id" --api "$GRAPH" --api-permissions "$permission=Role" --only-show-errors
  done
  az ad sp show --id "$id" --query id -o tsv >/dev/null 2>&1 || az ad sp create --id "$id" --only-show-errors >/dev/null

  echo "App registration $NAME: $id. Next:"
  echo "  azd env set MICROMENTOR_CLIENT_ID $id"
  echo "  azd env set MICROMENTOR_API_AUDIENCE $audience"
}

federate() {
  local id principal issuer credential existing
  id=$(app_id)
  principal=$(azd env get-value MANAGED_IDENTITY_PRINCIPAL_ID)
  issuer="https://login.microsoftonline.com/$(az account show --query tenantId -o tsv)/v2.0"
  credential="micromentor-function-app"
  local body="{
    \"name\": \"$credential\", \"issuer\": \"$issuer\", \"subject\": \"$principal\",
    \"audiences\": [\"api://AzureADTokenExchange\"],
    \"description\": \"The function app's user-assigned managed identity signs in as micromentor.\"}"
  existing=$(az ad app federated-credential list --id "$id" --query "[?name=='$credential'] | [0].subject" -o tsv)
  if [[ -z "$existing" ]]; then
    az ad app federated-credential create --id "$id" --parameters "$body" >/dev/null
  elif [[ "$existing" != "$principal" ]]; then  # a new identity (the environment was provisioned again)
    az ad app federated-credential update --id "$id" --federated-credential-id "$credential" --parameters "$body"
  fi
  echo "Federated: the managed identity $principal signs in as $id."

  # The Outlook add-in: Office SSO wants api://<host>/<client id>; nested app authentication and the
  # browser popup come back to these single-page-application redirect URIs. Existing URIs stay.
  local host object uri redirects=()
  host=$(azd env get-value SERVICE_API_URI | sed -e 's#^https://##' -e 's#/.*$##')
  object=$(az ad app show --id "$id" --query id -o tsv)
  add_identifier_uris "$id" "api://$host/$id"
  mapfile -t redirects < <(az ad app show --id "$id" --query "spa.redirectUris[]" -o tsv)
  for uri in "brk-multihub://$host" "https://$host/api/addin/auth-redirect.html"; do
    [[ " ${redirects[*]} " == *" $uri "* ]] || redirects+=("$uri")
  done
  local list
  list=$(printf '"%s",' "${redirects[@]}")
  az rest --method PATCH --uri "https://graph.microsoft.com/v1.0/applications/$object" --headers \
    Content-Type=application/json --body "{\"spa\": {\"redirectUris\": [${list%,}]}}"
  echo "Add-in URIs set for $host."
}

consent() {
  az ad app permission admin-consent --id "$(app_id)"
  echo "Admin consent granted for: ${PERMISSIONS[*]}"
}

case "${1:-}" in
  create) create ;;
  federate) federate ;;
  consent) consent ;;
  *) echo "usage: $0 create|federate|consent" >&2; exit 2 ;;
esac

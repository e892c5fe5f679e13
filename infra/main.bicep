// micromentor on Azure Functions Flex Consumption, after Azure-Samples/functions-quickstart-python-http-azd:
// one resource group, a user-assigned managed identity for everything (storage, Application Insights,
// Key Vault, and Graph as the app registration's federated identity credential), no keys anywhere.
// Written without the Bicep CLI at hand (it cannot be fetched where this was made): `az bicep build
// --file infra/main.bicep` is the first check to run. tests/app/test_infra.py checks it for consistency.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; a short hash of it names the resources.')
param environmentName string

@minLength(1)
@description('Region of every resource (one that offers Flex Consumption).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the principal running azd: gets data access to storage for troubleshooting. Optional.')
param principalId string = ''

@description('Type of principalId: User when a person runs azd, ServicePrincipal in CI (AZURE_PRINCIPAL_TYPE).')
@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

// The app registration must live in the tenant of this deployment (of the subscription): the managed identity
// is its federated credential, and Entra ID accepts the token of a managed identity only in the tenant of that
// identity. So the mailboxes are that tenant too; calendars of another tenant need a secret or certificate.
@description('Application (client) id of the micromentor app registration, in the subscription\'s tenant (scripts/register-app.sh prints it).')
param graphClientId string

@description('Application ID URI that bearer tokens of the API carry as audience.')
param apiAudience string = 'api://micromentor'

@secure()
@minLength(32)
@description('Key that signs booking links (32+ random characters); changing it voids every link.')
param linkSecret string

@secure()
@minLength(16)
@maxLength(128)
@description('Graph change notifications clientState (random, up to 128 characters).')
param notificationState string

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module app 'app.bicep' = {
  name: 'micromentor-app'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    principalId: principalId
    principalType: principalType
    graphClientId: graphClientId
    apiAudience: apiAudience
    linkSecret: linkSecret
    notificationState: notificationState
  }
}

// Read by azd and by the README's steps (azd env get-value NAME).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = app.outputs.functionAppName
output SERVICE_API_NAME string = app.outputs.functionAppName
output SERVICE_API_URI string = app.outputs.publicUrl
output MICROMENTOR_PUBLIC_URL string = app.outputs.publicUrl
output MICROMENTOR_API_AUDIENCE string = apiAudience
output MANAGED_IDENTITY_CLIENT_ID string = app.outputs.identityClientId
output MANAGED_IDENTITY_PRINCIPAL_ID string = app.outputs.identityPrincipalId
output AZURE_STORAGE_ACCOUNT_NAME string = app.outputs.storageAccountName
output AZURE_KEY_VAULT_NAME string = app.outputs.keyVaultName
output APPLICATIONINSIGHTS_NAME string = app.outputs.applicationInsightsName

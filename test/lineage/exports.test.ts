import { expect } from "chai";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import { parse as parseYaml } from "yaml";
import { isProvenantError } from "../../core/errors.ts";
import type { LineageGraph, ModelNode } from "../../core/lineage/graph.ts";
import { EXPORT_FORMATS, exportLineage, parseExportFormat } from "../../core/lineage/exports/index.ts";
import { hfLicense } from "../../core/lineage/exports/hf-card.ts";
import { OPENLINEAGE_SPEC } from "../../core/lineage/exports/openlineage.ts";
import { startTestChain, type LocalChain } from "../helpers/local-chain.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import { ALICE, BOB, FT_ID, MLP_ID, MNIST_ID, oneGenerationGraph, twoGenerationGraph } from "./fixtures.ts";

const SCHEMAS = join(import.meta.dirname, "..", "schemas");
/** The official CycloneDX schemas, as @cyclonedx/cyclonedx-library ships them. */
const CDX_SCHEMAS = join(dirname(createRequire(import.meta.url).resolve("@cyclonedx/cyclonedx-library/package.json")), "res", "schema");
// ajv-formats is CommonJS with a default export; under node16 resolution TypeScript sees the module object.
const addFormats = ajvFormats as unknown as (typeof ajvFormats)["default"];
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const clone = <T>(v: T): T => structuredClone(v);
type Doc = any;

/** Validates and, when invalid, says where: `/metadata/component must have required property 'name'`. */
function check(validate: ValidateFunction, doc: unknown): string[] {
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

// CycloneDX: the 1.6 schema shipped by @cyclonedx/cyclonedx-library, set up the way the library's own
// JsonValidator does it (its ajv plug-in also wants ajv-formats-draft2019, used only for idn-email, which no
// export contains).
function cycloneDxValidator(): ValidateFunction {
  const schema = (name: string) => readJson(join(CDX_SCHEMAS, name));
  const ajv = new Ajv({
    useDefaults: false,
    strict: false,
    strictSchema: false,
    addUsedSchema: false,
    schemas: {
      "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json": schema("spdx.SNAPSHOT.schema.json"),
      "http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json": schema("cryptography-defs.SNAPSHOT.schema.json"),
      "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json": schema("jsf-0.82.SNAPSHOT.schema.json"),
    },
  });
  addFormats(ajv);
  ajv.addFormat("idn-email", /^[^\s@]+@[^\s@]+$/u);
  ajv.addFormat("iri-reference", true);
  const bom = schema("bom-1.6.SNAPSHOT.schema.json");
  expect(bom.$id).to.equal("http://cyclonedx.org/schema/bom-1.6.schema.json");
  return ajv.compile(bom);
}

function spdxValidator(): ValidateFunction {
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  addFormats(ajv);
  return ajv.compile(readJson(join(SCHEMAS, "spdx", "spdx-json-schema-3.0.1.json")));
}

/** The OpenLineage core schema, and a validator per standard facet schema URL. */
function openLineageValidators(): { event: ValidateFunction; facet: (schemaUrl: string) => ValidateFunction | undefined } {
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv);
  const core = readJson(join(SCHEMAS, "openlineage", "OpenLineage-2-0-7.json"));
  expect(core.$id).to.equal(OPENLINEAGE_SPEC);
  ajv.addSchema(core);
  // The facet schemas name the core by the versions they were written against (see test/schemas/README.md).
  for (const v of ["1-0-2", "2-0-2"]) ajv.addSchema({ ...core, $id: `https://openlineage.io/spec/${v}/OpenLineage.json` });
  const dir = join(SCHEMAS, "openlineage", "facets");
  for (const f of readdirSync(dir)) ajv.addSchema(readJson(join(dir, f)));
  return {
    event: ajv.getSchema(`${OPENLINEAGE_SPEC}#/$defs/RunEvent`)!,
    facet: (url) => ajv.getSchema(url),
  };
}

function hfValidator(): ValidateFunction {
  const ajv = new Ajv2020({ strict: true });
  return ajv.compile(readJson(join(SCHEMAS, "huggingface", "modelcard-metadata.schema.json")));
}

/** License ids from the Hub's documented table (the second column of repositories-licenses.md). */
function hubLicenses(): Set<string> {
  const md = readFileSync(join(SCHEMAS, "huggingface", "repositories-licenses.md"), "utf8");
  return new Set([...md.matchAll(/^\|[^|]+\|\s*`([^`]+)`\s*\|$/gm)].map((m) => m[1]));
}

function frontMatter(card: string): { meta: Doc; body: string } {
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(card);
  expect(m, "the card starts with --- YAML front matter ---").to.not.equal(null);
  return { meta: parseYaml(m![1]), body: m![2] };
}

const exported = (format: string, graph: LineageGraph = twoGenerationGraph(), options = {}) => exportLineage(graph, format, options);
const exportedJson = (format: string, graph?: LineageGraph): Doc => JSON.parse(exported(format, graph).text);

/** Every value of `key` anywhere in a JSON document. */
function collect(doc: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(doc)) for (const v of doc) collect(v, key, out);
  else if (doc && typeof doc === "object") {
    for (const [k, v] of Object.entries(doc)) {
      if (k === key) out.push(v);
      collect(v, key, out);
    }
  }
  return out;
}

describe("lineage exports", function () {
  this.timeout(60_000);

  describe("CycloneDX 1.6", () => {
    let validate: ValidateFunction;
    before(() => {
      validate = cycloneDxValidator();
    });

    for (const [name, graph] of [
      ["two generations", twoGenerationGraph],
      ["one generation", oneGenerationGraph],
    ] as const) {
      it(`produces a BOM the official 1.6 schema accepts (${name})`, () => {
        expect(check(validate, exportedJson("cyclonedx", graph()))).to.deep.equal([]);
      });
    }

    it("describes the model as a machine-learning-model with its model card, datasets as data, parents in pedigree.ancestors", () => {
      const bom = exportedJson("cyclonedx");
      expect(bom.specVersion).to.equal("1.6");
      expect(bom.serialNumber).to.match(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(bom.metadata.timestamp).to.equal("2026-01-02T00:00:00Z");

      const model = bom.metadata.component;
      expect(model).to.include({ type: "machine-learning-model", "bom-ref": FT_ID, name: "mnist-mlp-ft", version: "1.1.0", publisher: BOB });
      expect(model.licenses).to.deep.equal([{ license: { id: "MIT" } }]);
      expect(model.modelCard.modelParameters).to.deep.equal({
        task: "image-classification",
        modelArchitecture: "MLP 784-128-10, ReLU",
        datasets: [{ ref: MNIST_ID }],
      });
      expect(model.modelCard.quantitativeAnalysis.performanceMetrics).to.deep.include({ type: "accuracy", value: "0.9803" });
      expect(model.modelCard.properties).to.deep.include({ name: "provenant:dataset:fine-tuning", value: MNIST_ID });
      expect(model.components.map((c: Doc) => [c.name, c.hashes[0].alg, c.hashes[0].content])).to.deep.equal([
        ["config.json", "SHA-256", "8beadfbe030a8ee29271a01d4cbaabe52deaf41cae252fc4aa1a242e7ab0660f"],
        ["model.safetensors", "SHA-256", "c4778c581ead23e86272d149dfdeacbfd0fa58247bfd9f0f2b3ef1cc755b3915"],
      ]);

      const [ancestor] = model.pedigree.ancestors;
      expect(model.pedigree.ancestors).to.have.length(1);
      expect(ancestor).to.include({ type: "machine-learning-model", name: "mnist-mlp", version: "1.0.0" });
      expect(ancestor.properties).to.deep.include({ name: "provenant:relation", value: "finetune" });
      expect(ancestor.externalReferences[0].url).to.equal(`${bom.serialNumber.replace("urn:uuid:", "urn:cdx:")}/1#${encodeURIComponent(MLP_ID)}`);

      const byRef = new Map(bom.components.map((c: Doc) => [c["bom-ref"], c]));
      const parent = byRef.get(MLP_ID) as Doc;
      expect(parent).to.include({ type: "machine-learning-model", name: "mnist-mlp", publisher: ALICE });
      expect(parent.externalReferences).to.deep.include({
        type: "attestation",
        url: "ipfs://bafkreibrctsyjnfyfspp5oiiybxsz4e2f5i36mrj2wtpj2fkgmglavr5wq",
        comment:
          "Provenant training certificate, TPM-attested (software TPM, for development and demos only). It covers the training process only; " +
          "the machine's boot state is not attested. A software TPM recorded this run: its keys are files on the attestor's machine, so whoever " +
          "runs that machine could have made this certificate for a run that never happened. It shows the pipeline works, not that the model was trained this way.",
      });
      expect(parent.pedigree).to.equal(undefined);
      const mnist = byRef.get(MNIST_ID) as Doc;
      expect(mnist).to.include({ type: "data", name: "MNIST" });
      expect(mnist.licenses).to.deep.equal([{ license: { id: "CC-BY-SA-3.0" } }]);
      expect(mnist.data[0]).to.include({ type: "dataset", name: "MNIST" });
      expect(mnist.properties).to.deep.include({ name: "provenant:merkleRoot", value: "0xd943bccb2d901e2ce49e24cd798d71709260e7510ce1966d8d7d419dab4a320e" });

      expect(bom.dependencies).to.deep.equal([
        { ref: MLP_ID, dependsOn: [MNIST_ID] },
        { ref: FT_ID, dependsOn: [MLP_ID, MNIST_ID] },
        { ref: MNIST_ID, dependsOn: [] },
      ]);
    });

    it("gives every bom-ref once, and every reference points at one", () => {
      const bom = exportedJson("cyclonedx");
      const refs = collect(bom, "bom-ref");
      expect(new Set(refs).size).to.equal(refs.length);
      const pointed = [...collect(bom, "ref"), ...(collect(bom, "dependsOn").flat() as unknown[])];
      for (const r of pointed) expect(refs).to.include(r);
    });

    it("fails validation when a required field is missing or an unknown one is added", () => {
      const bom = exportedJson("cyclonedx");
      const noName = clone(bom);
      delete noName.metadata.component.name;
      expect(check(validate, noName).join("\n")).to.contain("/metadata/component must have required property 'name'");
      const badCard = clone(bom);
      badCard.metadata.component.modelCard.trainingData = "MNIST";
      expect(check(validate, badCard).join("\n")).to.contain("must NOT have additional properties");
      const badHash = clone(bom);
      badHash.metadata.component.components[0].hashes[0].content = "0x1234";
      expect(check(validate, badHash)).to.not.deep.equal([]);
    });
  });

  describe("SPDX 3.0.1", () => {
    let validate: ValidateFunction;
    before(() => {
      validate = spdxValidator();
    });

    for (const [name, graph] of [
      ["two generations", twoGenerationGraph],
      ["one generation", oneGenerationGraph],
    ] as const) {
      it(`produces a document the SPDX 3.0.1 JSON Schema accepts (${name})`, () => {
        expect(check(validate, exportedJson("spdx", graph()))).to.deep.equal([]);
      });
    }

    it("uses the AI and Dataset profiles with trainedOn from models to datasets and ancestorOf from parent to child", () => {
      const doc = exportedJson("spdx");
      expect(doc["@context"]).to.equal("https://spdx.org/rdf/3.0.1/spdx-context.jsonld");
      const graph: Doc[] = doc["@graph"];
      const byId = new Map(graph.filter((e) => e.spdxId).map((e) => [e.spdxId, e]));
      const creation = graph.find((e) => e.type === "CreationInfo");
      expect(creation).to.include({ specVersion: "3.0.1", created: "2026-01-02T00:00:00Z" });

      const document = graph.find((e) => e.type === "SpdxDocument");
      expect(document.profileConformance).to.include.members(["core", "software", "ai", "dataset"]);
      expect(document.rootElement).to.deep.equal([FT_ID]);

      const ft = byId.get(FT_ID);
      expect(ft).to.include({ type: "ai_AIPackage", name: "mnist-mlp-ft", software_packageVersion: "1.1.0", software_primaryPurpose: "model" });
      expect(ft.ai_metric).to.deep.include({ type: "DictionaryEntry", key: "accuracy", value: "0.9803" });
      expect(ft.ai_hyperparameter).to.deep.include({ type: "DictionaryEntry", key: "learningRate", value: "0.0001" });
      expect(ft.suppliedBy).to.equal(`eip155:31337:${BOB}`);
      expect(byId.get(MNIST_ID)).to.include({ type: "dataset_DatasetPackage", name: "MNIST", software_primaryPurpose: "data" });
      expect(byId.get(MNIST_ID).dataset_datasetType).to.deep.equal(["noAssertion"]);

      const rel = (type: string) => graph.filter((e) => e.type === "Relationship" && e.relationshipType === type).map((e) => [e.from, e.to, e.comment]);
      expect(rel("trainedOn")).to.deep.equal([
        [MLP_ID, [MNIST_ID], "role: training"],
        [FT_ID, [MNIST_ID], "role: fine-tuning"],
      ]);
      expect(rel("ancestorOf")).to.deep.equal([[MLP_ID, [FT_ID], "relation: finetune"]]);
      expect(rel("hasDeclaredLicense").map(([from]) => from)).to.have.members([MLP_ID, FT_ID, MNIST_ID]);
      const licenses = graph.filter((e) => e.type === "simplelicensing_LicenseExpression").map((e) => e.simplelicensing_licenseExpression);
      expect(licenses).to.have.members(["MIT", "CC-BY-SA-3.0"]);
      const fileHashes = graph.filter((e) => e.type === "software_File").map((e) => e.verifiedUsing[0].algorithm);
      expect(fileHashes).to.deep.equal(["sha256", "sha256", "sha256", "sha256"]);
    });

    it("names every element once and refers only to elements of the document", () => {
      const graph: Doc[] = exportedJson("spdx")["@graph"];
      const ids = graph.filter((e) => e.spdxId).map((e) => e.spdxId);
      expect(new Set(ids).size).to.equal(ids.length);
      const document = graph.find((e) => e.type === "SpdxDocument");
      expect(document.element).to.have.members(ids.filter((id) => id !== document.spdxId));
      for (const r of graph.filter((e) => e.type === "Relationship")) for (const id of [r.from, ...r.to]) expect(ids).to.include(id);
      for (const e of graph.filter((x) => x.suppliedBy)) expect(ids).to.include(e.suppliedBy);
    });

    it("fails validation when a required field is missing or a value is out of its vocabulary", () => {
      const doc = exportedJson("spdx");
      const at = (d: Doc, type: string) => d["@graph"].find((e: Doc) => e.type === type);
      const noType = clone(doc);
      delete at(noType, "dataset_DatasetPackage").dataset_datasetType;
      expect(check(validate, noType)).to.not.deep.equal([]);
      const noRelationType = clone(doc);
      delete at(noRelationType, "Relationship").relationshipType;
      expect(check(validate, noRelationType)).to.not.deep.equal([]);
      const badRelation = clone(doc);
      at(badRelation, "Relationship").relationshipType = "fineTunedFrom";
      expect(check(validate, badRelation)).to.not.deep.equal([]);
      const millis = clone(doc);
      at(millis, "CreationInfo").created = "2026-01-02T00:00:00.000Z";
      expect(check(validate, millis)).to.not.deep.equal([]);
    });
  });

  describe("Hugging Face model card", () => {
    let validate: ValidateFunction;
    let licenses: Set<string>;
    before(() => {
      validate = hfValidator();
      licenses = hubLicenses();
    });

    it("has YAML front matter with base_model, base_model_relation, datasets and license of the right values", () => {
      const { meta, body } = frontMatter(exported("hf-card").text);
      expect(meta).to.deep.include({ license: "mit", base_model: MLP_ID, base_model_relation: "finetune", datasets: [MNIST_ID] });
      expect(check(validate, meta)).to.deep.equal([]);
      expect(licenses.has(meta.license), `${meta.license} is a Hub license id`).to.equal(true);
      expect(body).to.contain("# mnist-mlp-ft 1.1.0");
      expect(body).to.contain("finetune of **mnist-mlp 1.0.0** (model #1, attested)");
      expect(body).to.contain("fine-tuning data: **MNIST** (dataset #1");
      expect(body).to.contain("| accuracy | 0.9803 |");
    });

    it("uses Hub ids when given, and leaves base_model out for a model without parents", () => {
      const { meta } = frontMatter(exported("hf-card", twoGenerationGraph(), { hubIds: { "model:1": "alice/mnist-mlp", "dataset:1": "ylecun/mnist" } }).text);
      expect(meta).to.deep.include({ base_model: "alice/mnist-mlp", datasets: ["ylecun/mnist"] });
      const first = frontMatter(exported("hf-card", oneGenerationGraph()).text).meta;
      expect(first).to.not.have.property("base_model");
      expect(first).to.not.have.property("base_model_relation");
      expect(first).to.deep.include({ license: "mit", datasets: [MNIST_ID] });
      expect(check(validate, first)).to.deep.equal([]);
    });

    it("gives a model-index with the fields the Hub requires when the model has an evaluation dataset", () => {
      const graph = twoGenerationGraph();
      graph.edges.push({ from: "model:2", to: "dataset:1", type: "dataset", role: "evaluation" });
      const { meta } = frontMatter(exported("hf-card", graph).text);
      expect(check(validate, meta)).to.deep.equal([]);
      expect(meta["model-index"][0].results[0]).to.deep.equal({
        task: { type: "image-classification" },
        dataset: { type: MNIST_ID, name: "MNIST" },
        metrics: [
          { type: "accuracy", value: 0.9803 },
          { type: "loss", value: 0.0702 },
        ],
      });
    });

    it("maps SPDX licenses to the Hub's ids, and others to license: other with a name", () => {
      for (const [spdx, hub] of [
        ["MIT", "mit"],
        ["Apache-2.0", "apache-2.0"],
        ["CC-BY-SA-3.0", "cc-by-sa-3.0"],
        ["GPL-3.0-only", "gpl-3.0"],
        ["ODbL-1.0", "odbl"],
      ]) {
        expect(hfLicense(spdx), spdx).to.deep.equal({ license: hub });
        expect(licenses.has(hub), hub).to.equal(true);
      }
      expect(hfLicense("GPL-3.0-or-later")).to.deep.equal({
        license: "other",
        license_name: "gpl-3.0-or-later",
        license_link: "https://spdx.org/licenses/GPL-3.0-or-later.html",
      });
      expect(hfLicense("LicenseRef-Acme-Model")).to.deep.equal({ license: "other", license_name: "licenseref-acme-model" });
      const graph = twoGenerationGraph();
      (graph.nodes[0] as { license: string }).license = "LicenseRef-Acme-Model";
      expect(check(validate, frontMatter(exported("hf-card", graph).text).meta)).to.deep.equal([]);
    });

    it("fails validation when a required field is missing or a value is not one the Hub knows", () => {
      const { meta } = frontMatter(exported("hf-card").text);
      expect(check(validate, { ...meta, license: "other" }).join("\n")).to.contain("must have required property 'license_name'");
      expect(check(validate, { ...meta, base_model_relation: "distillation" }).join("\n")).to.contain("must be equal to one of the allowed values");
      const { base_model: _omitted, ...noBase } = meta;
      expect(check(validate, noBase).join("\n")).to.contain("must have property base_model when property base_model_relation is present");
      const index = { ...meta, "model-index": [{ name: "m", results: [{ task: {}, dataset: { type: "d", name: "D" }, metrics: [{ type: "a", value: 1 }] }] }] };
      expect(check(validate, index).join("\n")).to.contain("/model-index/0/results/0/task must have required property 'type'");
      expect(licenses.has("MIT"), "Hub license ids are lowercase").to.equal(false);
    });
  });

  describe("OpenLineage RunEvent", () => {
    let v: ReturnType<typeof openLineageValidators>;
    before(() => {
      v = openLineageValidators();
    });

    /** Core schema, then every standard facet against the schema its _schemaURL names. */
    function checkEvent(event: Doc): string[] {
      const errors = check(v.event, event);
      for (const f of collect(event, "_schemaURL") as string[]) {
        if (!f.startsWith("https://openlineage.io/")) continue;
        const validate = v.facet(f);
        expect(validate, `a vendored schema for ${f}`).to.not.equal(undefined);
      }
      const facets = [
        ...Object.values(event.job?.facets ?? {}),
        ...[...(event.inputs ?? []), ...(event.outputs ?? [])].flatMap((d: Doc) => Object.values(d.facets ?? {})),
      ] as Doc[];
      for (const facet of facets) {
        if (facet._schemaURL?.startsWith("https://openlineage.io/")) errors.push(...check(v.facet(facet._schemaURL)!, facet));
      }
      return errors;
    }

    for (const [name, graph] of [
      ["two generations", twoGenerationGraph],
      ["one generation", oneGenerationGraph],
    ] as const) {
      it(`produces an event the OpenLineage schema and its facet schemas accept (${name})`, () => {
        expect(checkEvent(exportedJson("openlineage", graph()))).to.deep.equal([]);
      });
    }

    it("has the training run's datasets and parent weights as inputs and the model as output", () => {
      const event = exportedJson("openlineage");
      expect(event).to.include({ eventType: "COMPLETE", eventTime: "2026-01-02T00:00:00Z", schemaURL: `${OPENLINEAGE_SPEC}#/$defs/RunEvent` });
      expect(event.run.runId).to.match(/^019b7c01-0400-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/); // UUIDv7 at registration
      const name = (d: Doc) => `${d.namespace}/${d.name}`;
      expect(event.inputs.map(name)).to.deep.equal([MNIST_ID, MLP_ID]);
      expect(event.inputs.map((d: Doc) => d.inputFacets.provenant_usage)).to.deep.include.members([
        { _producer: "urn:provenant:lineage-export", _schemaURL: "urn:provenant:openlineage-facets:1#/$defs/ProvenantUsageInputFacet", role: "fine-tuning" },
      ]);
      expect(event.inputs[0].facets.version.datasetVersion).to.equal("0xd943bccb2d901e2ce49e24cd798d71709260e7510ce1966d8d7d419dab4a320e");
      expect(event.inputs[1].inputFacets.provenant_usage.relation).to.equal("finetune");
      expect(event.outputs.map(name)).to.deep.equal([FT_ID]);
      expect(event.outputs[0].facets.version.datasetVersion).to.equal("0x6919c4294de5d5ffdd3eb5a1239c6f47cff94611113cd5f2f33d76004d635e97");
      expect(event.job).to.include({ namespace: "eip155:31337", name: `train/erc721:${FT_ID.split("/erc721:")[1]}` });
    });

    it("fails validation when a required field is missing", () => {
      const event = exportedJson("openlineage");
      const noRunId = clone(event);
      delete noRunId.run.runId;
      expect(checkEvent(noRunId).join("\n")).to.contain("/run must have required property 'runId'");
      const noProducer = clone(event);
      delete noProducer.inputs[0].facets.provenant_dataset._producer;
      expect(checkEvent(noProducer).join("\n")).to.contain("must have required property '_producer'");
      const noDescription = clone(event);
      delete noDescription.job.facets.documentation.description;
      expect(checkEvent(noDescription).join("\n")).to.contain("must have required property 'description'");
      const badTime = clone(event);
      badTime.eventTime = "yesterday";
      expect(checkEvent(badTime).join("\n")).to.contain('/eventTime must match format "date-time"');
    });
  });

  describe("exportLineage", () => {
    it("gives the same bytes for the same graph, whatever the order of its nodes and edges", () => {
      for (const format of EXPORT_FORMATS) {
        const shuffled = twoGenerationGraph();
        shuffled.nodes.reverse();
        shuffled.edges.sort((a, b) => (a.to < b.to ? 1 : -1));
        // Edge order within one model's parents is meaningful (the first parent); this graph has one parent each.
        expect(exported(format, shuffled).text, format).to.equal(exported(format).text);
        expect(exported(format).text, format).to.equal(exported(format).text);
      }
    });

    it("names a file and a content type for each format", () => {
      expect(EXPORT_FORMATS.map((f) => [exported(f).filename, exported(f).contentType])).to.deep.equal([
        ["mnist-mlp-ft-1.1.0.cdx.json", "application/vnd.cyclonedx+json; version=1.6"],
        ["mnist-mlp-ft-1.1.0.spdx.json", "application/spdx+json"],
        ["README.md", "text/markdown; charset=utf-8"],
        ["mnist-mlp-ft-1.1.0.openlineage.json", "application/json"],
      ]);
    });

    it("refuses an unknown format with FORMAT_UNSUPPORTED naming the formats there are", () => {
      for (const bad of ["xml", "", "CycloneDX", undefined]) {
        try {
          exportLineage(twoGenerationGraph(), bad as string);
          expect.fail(`${bad} was accepted`);
        } catch (e) {
          expect(isProvenantError(e) && e.code).to.equal("FORMAT_UNSUPPORTED");
          expect((e as Error).message).to.contain("use cyclonedx, spdx, hf-card, openlineage");
        }
      }
      expect(parseExportFormat("hf-card")).to.equal("hf-card");
    });

    it("refuses an inconsistent graph with LINEAGE_INVALID", () => {
      const cases: [string, (g: LineageGraph) => void, string][] = [
        ["wrong format", (g) => ((g as { format: string }).format = "provenant-lineage-v2"), "this version of provenant reads provenant-lineage-v1"],
        ["root missing", (g) => (g.root = "model:9"), "no model node for its root model:9"],
        ["dangling edge", (g) => g.edges.push({ from: "model:2", to: "dataset:7", type: "dataset", role: "training" }), "dataset:7"],
        ["duplicate node", (g) => g.nodes.push(clone(g.nodes[0])), "two nodes with id model:2"],
      ];
      for (const [what, spoil, message] of cases) {
        const g = twoGenerationGraph();
        spoil(g);
        try {
          exportLineage(g, "cyclonedx");
          expect.fail(`${what} was accepted`);
        } catch (e) {
          expect(isProvenantError(e) && e.code, what).to.equal("LINEAGE_INVALID");
          expect((e as Error).message, what).to.contain(message);
        }
      }
    });

    it("keeps its modules browser-safe: no node: imports, no Buffer, no process, no clock, in them or anything they import", () => {
      const dir = join(import.meta.dirname, "..", "..", "core", "lineage", "exports");
      const strip = (path: string) =>
        readFileSync(path, "utf8")
          .replace(/\/\*[\s\S]*?\*\//g, "")
          .replace(/^\s*\/\/.*$/gm, "");
      for (const f of readdirSync(dir)) {
        for (const [, spec] of strip(join(dir, f)).matchAll(/from\s+["'](\.[^"']+)["']/g)) {
          const allowed = [
            "./common.ts",
            "./cyclonedx.ts",
            "./spdx.ts",
            "./hf-card.ts",
            "./openlineage.ts",
            "../graph.ts",
            "../../errors.ts",
            "../../identifiers.ts",
            "../../versioned-json.ts",
            "../../attestor/attestation.ts",
            "../../chain/roles.ts",
          ];
          expect(allowed, `${f} imports ${spec}`).to.include(spec);
        }
      }
      // The attestation words (core/attestor/attestation.ts) bring the certificate module along: all of it must hold.
      const seen = new Set<string>();
      const visit = (path: string) => {
        if (seen.has(path)) return;
        seen.add(path);
        const src = strip(path);
        expect(src, path).to.not.match(/from\s+["']node:|require\(|\bBuffer\b|\bprocess\.|Date\.now|new Date\(\)|Math\.random/);
        for (const [, spec] of src.matchAll(/^import\s+(?!type\b)[^;]*?from\s+["'](\.[^"']+)["']/gm)) visit(join(dirname(path), spec));
      };
      for (const f of readdirSync(dir)) visit(join(dir, f));
      expect(seen.size).to.be.greaterThan(7);
    });
  });

  describe("provenant export", () => {
    it("refuses an unknown format with a clear error and exit code 1, before reaching for a chain", async () => {
      const r = await runCli(["export", "2", "--format", "xml", "--network", "localhost"], { PROVENANT_RPC_URL: "http://127.0.0.1:9" });
      expect(r.code).to.equal(1);
      expect(r.json).to.deep.equal({
        ok: false,
        error: { code: "FORMAT_UNSUPPORTED", message: 'unknown export format "xml": use cyclonedx, spdx, hf-card, openlineage' },
      });
      expect(r.stderr).to.contain('provenant: unknown export format "xml"');
    });

    it("refuses a model id that is not a token id", async () => {
      const r = await runCli(["export", "two", "--format", "spdx"], { PROVENANT_RPC_URL: "http://127.0.0.1:9" });
      expect(r.code).to.equal(1);
      expect(r.json.error.code).to.equal("INPUT_INVALID");
    });

    describe("on a local chain with a dataset and two generations of models", function () {
      this.timeout(240_000);
      let chain: LocalChain;
      let work: string;
      let env: Record<string, string>;

      before(async () => {
        chain = await startTestChain("export-cli");
        work = mkdtempSync(join(tmpdir(), "provenant-export-cli-"));
        env = { ...chain.env, PROVENANT_HOME: join(work, "home") };
        const run = async (args: string[]) => {
          const r = await runCli(args, env);
          expect(r.code, r.stderr).to.equal(0);
          return r.json;
        };
        const digits = join(work, "digits");
        mkdirSync(digits);
        for (let i = 0; i < 30; i++) writeFileSync(join(digits, `${i % 10}-${i}.txt`), `digit ${i % 10}, sample ${i}\n`);
        expect((await run(["dataset", "mint", digits, "--name", "MNIST", "--license", "CC-BY-SA-3.0"])).datasetId).to.equal("1");
        for (const [name, bytes] of [
          ["base", 4000],
          ["tuned", 5000],
        ] as const) {
          mkdirSync(join(work, name));
          writeFileSync(join(work, name, "config.json"), JSON.stringify({ hidden: 128, name }));
          writeFileSync(join(work, name, "model.safetensors"), Buffer.alloc(bytes, name));
        }
        writeFileSync(join(work, "base.yaml"), "architecture: MLP 784-128-10\ntask: image-classification\nmetrics: { accuracy: 0.97 }\nlicense: MIT\n");
        writeFileSync(join(work, "tuned.yaml"), "metrics: { accuracy: 0.98 }\nhyperparameters: { epochs: 2 }\n");
        const base = await run([
          "model",
          "register",
          join(work, "base"),
          "--name",
          "mnist-mlp",
          "--version",
          "1.0.0",
          "--dataset",
          "1:training",
          "--record",
          join(work, "base.yaml"),
        ]);
        expect(base.modelId).to.equal("1");
        const tuned = await run([
          "model",
          "register",
          join(work, "tuned"),
          "--name",
          "mnist-mlp-ft",
          "--version",
          "1.1.0",
          "--parent",
          "1:finetune",
          "--dataset",
          "1:fine-tuning",
          "--record",
          join(work, "tuned.yaml"),
        ]);
        expect(tuned.modelId).to.equal("2");
      });

      after(async () => {
        await chain?.stop();
        rmSync(join(process.cwd(), "ignition", "deployments", chain?.deploymentId ?? "none"), { recursive: true, force: true });
        if (work) rmSync(work, { recursive: true, force: true });
      });

      it("writes each format for model #2, and each validates against its schema", async () => {
        const cdx = cycloneDxValidator();
        const spdx = spdxValidator();
        const ol = openLineageValidators();
        const hf = hfValidator();
        for (const format of EXPORT_FORMATS) {
          const out = join(work, `export.${format}`);
          const r = await runCli(["export", "2", "--format", format, "--out", out], env);
          expect(r.code, r.stderr).to.equal(0);
          expect(r.json).to.include({ ok: true, model: "2", format, models: 2, datasets: 1, out });
          const text = readFileSync(out, "utf8");
          if (format === "hf-card") {
            const { meta } = frontMatter(text);
            expect(check(hf, meta)).to.deep.equal([]);
            expect(meta).to.deep.include({ license: "mit", base_model_relation: "finetune" });
            expect(meta.base_model).to.match(/^eip155:31337\/erc721:0x[0-9a-fA-F]{40}\/1$/);
            expect(meta.datasets).to.have.length(1);
          } else {
            const doc = JSON.parse(text);
            const validate = format === "cyclonedx" ? cdx : format === "spdx" ? spdx : ol.event;
            expect(check(validate, doc), format).to.deep.equal([]);
          }
        }
      });

      it("prints the document on stdout without --out, the same bytes each time", async () => {
        const r = await runCli(["export", "2", "--format", "cyclonedx"], env, { json: false });
        expect(r.code, r.stderr).to.equal(0);
        const bom = JSON.parse(r.stdout);
        expect(bom.metadata.component).to.include({ type: "machine-learning-model", name: "mnist-mlp-ft", version: "1.1.0" });
        expect(bom.metadata.component.pedigree.ancestors[0]).to.include({ name: "mnist-mlp", version: "1.0.0" });
        // The effective record: architecture and license inherited from model #1.
        expect(bom.metadata.component.modelCard.modelParameters.modelArchitecture).to.equal("MLP 784-128-10");
        const again = await runCli(["export", "2", "--format", "cyclonedx"], env, { json: false });
        expect(again.stdout).to.equal(r.stdout);
      });

      it("fails naming the model when it does not exist", async () => {
        const r = await runCli(["export", "9", "--format", "spdx"], env);
        expect(r.code).to.equal(1);
        expect(r.json.error.code).to.equal("LINEAGE_INVALID");
        expect(r.json.error.message).to.contain("model #9 does not exist");
      });
    });
  });
});

describe("lineage exports call a model attested only when its certificate verified", function () {
  this.timeout(60_000);
  const REVOKED_AT = 1_767_312_000; // 2026-01-02T00:00:00Z
  const verdicts: Array<[string, ModelNode["attestation"] | undefined, RegExp]> = [
    [
      "failed",
      { state: "failed", trustLevel: "software-tpm-pcr23", revokedAt: null, reason: "quoteSignature: the quote is not signed by the AK" },
      /failed verification \(quoteSignature: the quote is not signed by the AK\)/,
    ],
    [
      "revoked",
      { state: "revoked", trustLevel: "software-tpm-pcr23", revokedAt: REVOKED_AT, reason: "attestorRegistered: revoked" },
      /attested by a revoked attestor \(revoked 2026-01-02T00:00:00Z\)/,
    ],
    ["never checked", undefined, /was not checked/],
  ];
  /** model #1 alone, attested on-chain, with the given verdict on its certificate. */
  const graphWith = (attestation: ModelNode["attestation"] | undefined): LineageGraph => {
    const g = oneGenerationGraph();
    const m = g.nodes.find((n): n is ModelNode => n.kind === "model")!;
    if (attestation) m.attestation = attestation;
    else delete m.attestation;
    return g;
  };
  let cdx: ValidateFunction;
  let spdx: ValidateFunction;
  let hf: ValidateFunction;
  let ol: ReturnType<typeof openLineageValidators>;
  before(() => {
    cdx = cycloneDxValidator();
    spdx = spdxValidator();
    hf = hfValidator();
    ol = openLineageValidators();
  });

  it("claims it in every format when it verified: the hf-card tag, the CycloneDX comment, the trust level in words", () => {
    const g = graphWith({ state: "verified", trustLevel: "hardware-tpm-pcr23", revokedAt: null, reason: null });
    expect(frontMatter(exported("hf-card", g).text).meta.tags).to.include("provenant-attested");
    expect(exported("cyclonedx", g).text).to.contain(
      "TPM-attested (hardware TPM, machine state not checked). It covers the training process only; the machine's boot state is not attested.",
    );
    expect(JSON.parse(exported("openlineage", g).text).run.facets.provenant_training.provenance).to.equal("attested");
  });

  for (const [name, attestation, says] of verdicts) {
    it(`does not when it ${name === "never checked" ? "was never checked" : name}, says why, and stays schema-valid`, () => {
      const g = graphWith(attestation);
      const docs = Object.fromEntries(EXPORT_FORMATS.map((f) => [f, exported(f, g).text]));
      for (const [format, text] of Object.entries(docs)) {
        expect(text, format)
          .to.not.contain("TPM-attested")
          .and.to.not.contain("provenant-attested")
          .and.to.not.match(/"provenance": "attested"/);
        expect(text, format).to.match(says);
      }
      expect(check(cdx, JSON.parse(docs.cyclonedx))).to.deep.equal([]);
      expect(check(spdx, JSON.parse(docs.spdx))).to.deep.equal([]);
      expect(check(hf, frontMatter(docs["hf-card"]).meta)).to.deep.equal([]);
      expect(check(ol.event, JSON.parse(docs.openlineage))).to.deep.equal([]);
    });
  }
});

describe("lineage exports carry attested evaluation results, apart from the owner's claims", function () {
  /** Model #1 (claims accuracy 0.9712) with a verified evaluation on dataset #1 and a failed one on dataset #7 (outside the graph). */
  const graphWithEvaluations = (): LineageGraph => {
    const g = oneGenerationGraph();
    const m = g.nodes.find((n): n is ModelNode => n.kind === "model")!;
    m.evaluations = [
      {
        evaluationId: "1",
        dataset: { tokenId: "1", name: "MNIST", root: "0xd943bccb2d901e2ce49e24cd798d71709260e7510ce1966d8d7d419dab4a320e" },
        metrics: [
          { name: "accuracy", value: 0.9644, split: "test" },
          { name: "accuracy", value: 0.9921, split: "test", config: "top-2" },
        ],
        metricsDigest: "0x1111111111111111111111111111111111111111111111111111111111111111",
        certificateCid: "bafkreievaluationonecertificate",
        attestation: { state: "verified", trustLevel: "software-tpm-pcr23", revokedAt: null, reason: null },
      },
      {
        evaluationId: "2",
        dataset: { tokenId: "7", name: "Easy digits", root: null },
        metrics: [{ name: "accuracy", value: 0.9999, split: "test" }],
        metricsDigest: "0x2222222222222222222222222222222222222222222222222222222222222222",
        certificateCid: "bafkreievaluationtwocertificate",
        attestation: { state: "failed", trustLevel: "software-tpm-pcr23", revokedAt: null, reason: "nonce: the quote's nonce is not the certificate digest" },
      },
    ];
    return g;
  };
  let docs: Record<string, string>;
  before(() => {
    docs = Object.fromEntries(EXPORT_FORMATS.map((f) => [f, exported(f, graphWithEvaluations()).text]));
  });

  it("stays schema-valid in every format, and names no result of an evaluation that did not verify", () => {
    expect(check(cycloneDxValidator(), JSON.parse(docs.cyclonedx))).to.deep.equal([]);
    expect(check(spdxValidator(), JSON.parse(docs.spdx))).to.deep.equal([]);
    expect(check(hfValidator(), frontMatter(docs["hf-card"]).meta)).to.deep.equal([]);
    const ol = openLineageValidators();
    expect(check(ol.event, JSON.parse(docs.openlineage))).to.deep.equal([]);
    for (const [format, text] of Object.entries(docs)) {
      expect(text, format).to.not.contain("0.9999").and.to.not.contain("bafkreievaluationtwocertificate");
      expect(text, format).to.contain("bafkreievaluationonecertificate");
    }
  });

  it("CycloneDX: attested results in performanceMetrics with the slice they were measured on, claims unsliced, the certificate as an attestation", () => {
    const model = JSON.parse(docs.cyclonedx).metadata.component;
    expect(model.modelCard.quantitativeAnalysis.performanceMetrics).to.deep.equal([
      { type: "accuracy", value: "0.9644", slice: "test split of MNIST (dataset #1)" },
      { type: "accuracy", value: "0.9921", slice: "test split (top-2) of MNIST (dataset #1)" },
      { type: "accuracy", value: "0.9712" },
      { type: "loss", value: "0.0981" },
    ]);
    expect(model.modelCard.properties).to.deep.include({ name: "provenant:claimedMetrics", value: "accuracy, loss: self-reported by the owner, not attested" });
    expect(model.externalReferences).to.deep.include.members([
      {
        type: "attestation",
        url: "ipfs://bafkreievaluationonecertificate",
        comment:
          "Provenant evaluation certificate of attested evaluation #1: the metrics were measured by the attestor, bound by a TPM quote to the model's weights and dataset #1, and verified (trust level software-tpm-pcr23)",
      },
    ]);
  });

  it("Hugging Face card: a model-index result per attested evaluation and split, its source the certificate, before the claims", () => {
    const graph = graphWithEvaluations();
    graph.edges.push({ from: "model:1", to: "dataset:1", type: "dataset", role: "evaluation" });
    const { meta, body } = frontMatter(exported("hf-card", graph).text);
    expect(check(hfValidator(), meta)).to.deep.equal([]);
    expect(meta["model-index"][0].results).to.deep.equal([
      {
        task: { type: "image-classification" },
        dataset: { type: MNIST_ID, name: "MNIST", split: "test" },
        metrics: [
          { type: "accuracy", value: 0.9644 },
          { type: "accuracy", value: 0.9921, config: "top-2" },
        ],
        source: { name: "Provenant attested evaluation #1 (software-tpm-pcr23)", url: "ipfs://bafkreievaluationonecertificate" },
      },
      {
        task: { type: "image-classification" },
        dataset: { type: MNIST_ID, name: "MNIST" },
        metrics: [
          { type: "accuracy", value: 0.9712 },
          { type: "loss", value: 0.0981 },
        ],
      },
    ]);
    expect(body).to.contain("## Attested evaluation results").and.to.contain("## Evaluation (self-reported)");
  });

  it("SPDX 3: attested ai_metric entries named by slice and evaluation beside the claims, testedOn the dataset, the certificate as a reference", () => {
    const graph = JSON.parse(docs.spdx)["@graph"] as Doc[];
    const model = graph.find((e) => e.spdxId === MLP_ID);
    expect(model.ai_metric).to.deep.include.members([
      { type: "DictionaryEntry", key: "accuracy on test split of MNIST (dataset #1), attested evaluation #1", value: "0.9644" },
      { type: "DictionaryEntry", key: "accuracy", value: "0.9712" },
    ]);
    expect(model.externalRef.map((r: Doc) => r.locator[0])).to.include("ipfs://bafkreievaluationonecertificate");
    const testedOn = graph.filter((e) => e.type === "Relationship" && e.relationshipType === "testedOn");
    expect(testedOn.map((r) => [r.from, r.to, r.comment])).to.deep.equal([
      [MLP_ID, [MNIST_ID], "attested evaluation #1, certificate ipfs://bafkreievaluationonecertificate"],
    ]);
  });

  it("OpenLineage: the model's facet lists its attested evaluations; the training facet keeps the claims", () => {
    const event = JSON.parse(docs.openlineage);
    expect(event.outputs[0].facets.provenant_model.attestedEvaluations).to.deep.equal([
      {
        evaluation: "1",
        dataset: MNIST_ID,
        datasetName: "MNIST",
        metrics: [
          { name: "accuracy", value: 0.9644, split: "test" },
          { name: "accuracy", value: 0.9921, split: "test", config: "top-2" },
        ],
        metricsDigest: "0x1111111111111111111111111111111111111111111111111111111111111111",
        certificate: "ipfs://bafkreievaluationonecertificate",
        trustLevel: "software-tpm-pcr23",
      },
    ]);
    expect(event.run.facets.provenant_training.metrics).to.deep.equal({ accuracy: 0.9712, loss: 0.0981 });
  });
});

import type { Metadata } from "next";
import { ModelCard } from "../_components/model-card.tsx";
import { Notice } from "../_components/notice.tsx";
import { toTrouble } from "../_lib/errors.ts";
import { recentModels } from "../_lib/server/models.ts";
import styles from "./models.module.css";

export const metadata: Metadata = { title: "Models" };

export default async function ModelsPage() {
  let models;
  try {
    models = await recentModels(24);
  } catch (e) {
    return (
      <div className="container">
        <h1>Models</h1>
        <Notice trouble={toTrouble(e)} />
      </div>
    );
  }
  return (
    <div className="container">
      <h1>Models</h1>
      <p className="muted" style={{ maxWidth: 760 }}>
        Each model token records a digest of the weights, the models it derives from and the datasets it was trained on. Its page draws that lineage as a graph verified
        node by node, and checks whether a sample was used anywhere in it.
      </p>
      {models.items.length > 0 ? (
        <div className={styles.grid}>
          {models.items.map((m) => (
            <ModelCard key={m.id} m={m} />
          ))}
        </div>
      ) : (
        <div className={`card ${styles.placeholder}`}>
          <p>
            {models.deployed
              ? "No model is registered yet: provenant model register <weights> --dataset <id>:training."
              : "No ModelRegistry is deployed on this chain yet."}
          </p>
        </div>
      )}
    </div>
  );
}

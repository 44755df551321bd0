// Placeholder shell; the inspector's screens live in src/ui/.
export function App() {
  return (
    <main className="app">
      <h1>patchcore-web</h1>
      <p>Anomaly detection that runs entirely in this browser.</p>
    </main>
  );
}

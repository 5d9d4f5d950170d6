// Entry of the lab app. Prebuilt extensions (cglab-jupyterlab) are separate bundles that share
// JupyterLab's packages with this one: load each remote container and give it the share scope
// before any of our own modules that use those packages is evaluated, then start the app.

function configData() {
  const el = document.getElementById('jupyter-config-data');
  return el ? JSON.parse(el.textContent || '{}') : {};
}

const config = configData();
// Chunks load from where the server mounts the build, which only the page knows.
__webpack_public_path__ = `${config.fullStaticUrl}/`;

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${url}`));
    script.async = true;
    script.src = url;
    document.head.appendChild(script);
  });
}

async function loadFederated(ext) {
  await loadScript(`${config.fullLabextensionsUrl}/${ext.name}/${ext.load}`);
  await __webpack_init_sharing__('default');
  const container = window._JUPYTERLAB[ext.name];
  await container.init(__webpack_share_scopes__.default);
}

(async () => {
  // jupyterlab_server 2.16 puts an array here; newer ones a JSON string of it.
  const raw = config.federated_extensions ?? [];
  const federated = typeof raw === 'string' ? JSON.parse(raw) : raw;
  const results = await Promise.allSettled(federated.map(loadFederated));
  const loaded = federated.filter((_, i) => results[i].status === 'fulfilled');
  results.forEach((r) => r.status === 'rejected' && console.error(r.reason));
  const { main } = await import('./main.js');
  await main(loaded);
})();

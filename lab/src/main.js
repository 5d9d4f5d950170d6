// Assembles JupyterLab from the extension packages listed in ../extensions.json (imported through
// the generated ../build/plugins.js) and the prebuilt extensions the bootstrap loaded.
import { JupyterLab } from '@jupyterlab/application';
import { JupyterPluginRegistry, PageConfig } from '@jupyterlab/coreutils';
import { IConnectionStatus, IServiceManager } from '@jupyterlab/services';
import { disabledPlugins, extensions, mimeExtensions } from '../build/plugins.js';

const pluginsOf = (mod) => {
  const exported = mod.default ?? mod;
  return Array.isArray(exported) ? exported : [exported];
};

async function federatedModule(name, module) {
  const factory = await window._JUPYTERLAB[name].get(module);
  return factory();
}

/** Start the app; `federated` are the page-config entries whose containers loaded. */
export async function main(federated) {
  const disabled = new Set([...disabledPlugins, ...PageConfig.Extension.disabled]);
  const active = (plugins) => plugins.filter((p) => !disabled.has(p.id));

  const mime = (await Promise.all(mimeExtensions.map((load) => load()))).flatMap(pluginsOf);
  const plugins = (await Promise.all(extensions.map((load) => load()))).flatMap(pluginsOf);
  for (const ext of federated) {
    try {
      if (ext.mimeExtension) mime.push(...pluginsOf(await federatedModule(ext.name, ext.mimeExtension)));
      if (ext.extension) plugins.push(...pluginsOf(await federatedModule(ext.name, ext.extension)));
      if (ext.style) await federatedModule(ext.name, ext.style);
    } catch (e) {
      console.error(`extension ${ext.name} failed to load`, e);
    }
  }

  // As JupyterLab's own main: the plugin registry provides the service manager the app uses.
  const pluginRegistry = new JupyterPluginRegistry();
  pluginRegistry.registerPlugins(active(plugins));
  const serviceManager = await pluginRegistry.resolveRequiredService(IServiceManager);
  const connectionStatus = await pluginRegistry.resolveOptionalService(IConnectionStatus);
  const lab = new JupyterLab({ pluginRegistry, serviceManager, connectionStatus, mimeExtensions: active(mime) });
  if (PageConfig.getOption('exposeAppInBrowser').toLowerCase() === 'true') window.jupyterapp = lab;
  await lab.start({ bubblingKeydown: true });
  await lab.restored;
  document.body.dataset.cglabLab = 'ready';
}

/*
 * lectures-lite-student: the student's path in the in-browser lecture (JupyterLite 0.5.1 = JupyterLab 4.3 and
 * Jupyter Notebook 7.3), in both interfaces.
 *
 *  1. "Download" takes what is on the screen: a toolbar button on every notebook and File > Save and Download
 *     save the notebook to the browser's storage, then download the notebook as it is now; the file browser's
 *     Download first asks every open tab of this site to save that file. (JupyterLite's own Download takes the
 *     last SAVED copy, and its File > Download is switched off.)
 *  2. A notebook that the course has republished since the student's own copy was saved says so when it opens,
 *     and offers the new version while keeping the student's copy beside it (build-time versions in
 *     course-versions.json and in each notebook's metadata.course.version; tools/lite/student_copy.py).
 *  3. Folded solution cells (tag "solution") and test-only cells (tag "test-only") do not run on Shift+Enter or
 *     Run All while they are folded: a student who opens one (a click on its "...") can run it.
 *
 * Written to need no build: this file is a Webpack module-federation container, as JupyterLab loads every
 * prebuilt extension (`window._JUPYTERLAB[name].init(shareScope)`, then `.get("./extension")`), and it takes
 * JupyterLab's own modules (and so the very tokens its plugins provide) from the shared scope that `init` hands
 * it, as a built extension's generated code would.
 */
var _JUPYTERLAB = (window._JUPYTERLAB = window._JUPYTERLAB || {});
(function () {
  'use strict';

  const NAME = 'lectures-lite-student';
  const PACKAGES = [
    '@jupyterlab/apputils',
    '@jupyterlab/coreutils',
    '@jupyterlab/docmanager',
    '@jupyterlab/filebrowser',
    '@jupyterlab/mainmenu',
    '@jupyterlab/notebook',
    '@jupyterlab/ui-components',
    '@lumino/widgets'
  ];
  // Cells that a student's Shift+Enter or Run All passes over while they are folded.
  const FOLDED_AWAY = ['solution', 'test-only'];
  const VERSIONS_FILE = 'course-versions.json'; // at the site's root, written by tools/lite/student_copy.py
  const KEPT = `${NAME}:kept:`; // localStorage: "keep my copy" chosen for this published version
  const SAVE_CHANNEL = `${NAME}:save`; // BroadcastChannel: "save this path" to the other tabs of the site
  let shareScope = null;

  // ------------------------------------------------------------------------------- the shared modules
  function newest(versions) {
    const parts = v => v.split(/[.-]/).map(p => (/^\d+$/.test(p) ? Number(p) : -1));
    return versions.slice().sort((a, b) => {
      const [x, y] = [parts(a), parts(b)];
      for (let i = 0; i < Math.max(x.length, y.length); i++) {
        if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0);
      }
      return 0;
    })[versions.length - 1];
  }

  async function shared(pkg) {
    const versions = shareScope && shareScope[pkg];
    if (!versions || !Object.keys(versions).length) {
      throw new Error(`${NAME}: ${pkg} is not in JupyterLab's shared scope`);
    }
    const factory = await versions[newest(Object.keys(versions))].get();
    return factory();
  }

  // ----------------------------------------------------------------------------------- 3. folded cells
  function foldedAway(cell) {
    const tags = cell.model.getMetadata('tags') || [];
    return cell.inputHidden && FOLDED_AWAY.some(tag => tags.includes(tag));
  }

  function executorPlugin(nb) {
    return {
      id: `${NAME}:cell-executor`,
      description: 'Runs cells as JupyterLab does, except folded solution and test-only cells.',
      autoStart: true,
      provides: nb.INotebookCellExecutor,
      activate: () =>
        Object.freeze({
          runCell: options => (foldedAway(options.cell) ? Promise.resolve(true) : nb.runCell(options))
        })
    };
  }

  // ------------------------------------------------------------------------ 1. download what is shown
  function downloadJson(name, value) {
    const blob = new Blob([JSON.stringify(value, null, 1) + '\n'], { type: 'application/x-ipynb+json' });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  async function downloadNotebook(panel, m) {
    const { context } = panel;
    let saved = true;
    try {
      // the browser's copy then matches the screen; an unchanged notebook stays the course's (no copy is made)
      if (context.model.dirty) await context.save();
    } catch (error) {
      saved = false;
      console.error(`${NAME}: saving ${context.path} failed`, error);
    }
    downloadJson(m.coreutils.PathExt.basename(context.path), context.model.toJSON());
    if (!saved) {
      m.apputils.Notification.warning(
        'Downloaded what is on the screen, but it could not be saved in this browser: keep the downloaded file.',
        { autoClose: false }
      );
    }
  }

  function isHomework(panel) {
    return !!panel.context.model.getMetadata('otter');
  }

  function downloadButton(panel, m) {
    const button = new m.ui.ToolbarButton({
      icon: m.ui.downloadIcon,
      label: isHomework(panel) ? 'Download to hand in' : 'Download',
      className: 'lectures-download',
      tooltip:
        'Save, then download this notebook as it is on the screen (to hand in, or to keep a copy: ' +
        'your work is stored only in this browser)',
      onClick: () => void downloadNotebook(panel, m)
    });
    button.node.setAttribute('data-lectures', 'download');
    if (!panel.toolbar.insertAfter('cellType', 'lecturesDownload', button)) {
      panel.toolbar.addItem('lecturesDownload', button);
    }
  }

  // Other tabs of this site (the Notebook interface opens each notebook in a tab of its own) save a file
  // that is about to be downloaded from a file browser.
  function answerSaveRequests(docs) {
    if (typeof BroadcastChannel === 'undefined') return;
    const channel = new BroadcastChannel(SAVE_CHANNEL);
    channel.onmessage = async ({ data }) => {
      if (!data || data.type !== 'save') return;
      for (const path of data.paths) {
        const widget = docs.findWidget(path);
        const context = widget && docs.contextForWidget(widget);
        if (context && context.model.dirty) {
          try {
            await context.save();
          } catch (error) {
            console.error(`${NAME}: saving ${path} for a download failed`, error);
          }
        }
      }
      channel.postMessage({ type: 'saved', id: data.id });
    };
  }

  async function saveEverywhere(paths, docs) {
    for (const path of paths) {
      const widget = docs.findWidget(path);
      const context = widget && docs.contextForWidget(widget);
      if (context && context.model.dirty) await context.save();
    }
    if (typeof BroadcastChannel === 'undefined') return;
    const channel = new BroadcastChannel(SAVE_CHANNEL);
    const id = `${Date.now()}-${Math.random()}`;
    // every open tab answers at once, after its saves; a tab of another version answers never: wait a moment
    await new Promise(resolve => {
      const timer = setTimeout(resolve, 700);
      channel.onmessage = ({ data }) => {
        if (data && data.type === 'saved' && data.id === id) {
          clearTimeout(timer);
          setTimeout(resolve, 150); // a second tab may still be saving
        }
      };
      channel.postMessage({ type: 'save', id, paths });
    });
    channel.close();
  }

  function downloadPlugin(m) {
    return {
      id: `${NAME}:download`,
      description: 'Download buttons that save first and take what is on the screen.',
      autoStart: true,
      requires: [m.notebook.INotebookTracker, m.docmanager.IDocumentManager],
      optional: [m.mainmenu.IMainMenu, m.filebrowser.IFileBrowserFactory],
      activate: (app, tracker, docs, menu, browsers) => {
        const { commands } = app;
        commands.addCommand(`${NAME}:download`, {
          label: 'Save and Download',
          caption: 'Save, then download the notebook as it is on the screen',
          icon: m.ui.downloadIcon,
          isEnabled: () => !!app.shell.currentWidget && !!docs.contextForWidget(app.shell.currentWidget),
          execute: () => {
            const current = app.shell.currentWidget;
            if (current && tracker.has(current)) return downloadNotebook(current, m);
            return commands.execute('docmanager:download'); // another kind of file: JupyterLite's own
          }
        });
        if (menu) menu.fileMenu.addGroup([{ command: `${NAME}:download` }], 5);
        // once the notebook is read: a homework notebook's button says what it is for
        tracker.widgetAdded.connect((_, panel) => void panel.context.ready.then(() => downloadButton(panel, m)));
        answerSaveRequests(docs);
        if (!browsers) return;
        // JupyterLite's file-browser Download (the file list's context menu, and the toolbar of the Notebook
        // interface's file list) sends the last SAVED copy. Every way to it goes through commands.execute, so the
        // open copies of the selected files are saved first, in this tab and in the site's other tabs.
        const execute = commands.execute.bind(commands);
        commands.execute = async (id, args) => {
          const browser = browsers.tracker.currentWidget;
          if (id === 'filebrowser:download' && browser) {
            const paths = Array.from(browser.selectedItems())
              .filter(item => item.type !== 'directory')
              .map(item => item.path);
            await saveEverywhere(paths, docs);
          }
          return execute(id, args);
        };
      }
    };
  }

  // --------------------------------------------------------------------------------- 2. new versions
  function versionsOnce(m) {
    let promise = null;
    return () => {
      if (!promise) {
        const url = m.coreutils.URLExt.join(m.coreutils.PageConfig.getBaseUrl(), VERSIONS_FILE);
        promise = fetch(url, { cache: 'no-cache' })
          .then(response => (response.ok ? response.json() : {}))
          .catch(() => ({}));
      }
      return promise;
    };
  }

  async function exists(contents, path) {
    try {
      await contents.get(path, { content: false });
      return true;
    } catch (error) {
      return false;
    }
  }

  async function keepCopyAndReset(app, panel, m) {
    const { contents } = app.serviceManager;
    const { PathExt } = m.coreutils;
    const path = panel.context.path;
    if (panel.context.model.dirty) await panel.context.save();
    const dir = PathExt.dirname(path);
    const stem = PathExt.basename(path, '.ipynb');
    let copy = null;
    for (let n = 1; !copy || (await exists(contents, copy)); n++) {
      copy = PathExt.join(dir, `${stem} (my copy${n > 1 ? ` ${n}` : ''}).ipynb`);
    }
    const mine = await contents.get(path, { content: true });
    await contents.save(copy, { type: 'notebook', format: 'json', content: mine.content });
    await contents.delete(path); // JupyterLite forgets the browser's copy: the course's file shows again
    // Both interfaces open the notebook named by ?path= when the page loads: now the course's new version.
    const url = new URL(window.location.href);
    url.searchParams.set('path', path);
    window.location.assign(url.href);
    return copy;
  }

  async function checkVersion(app, panel, m, published) {
    const path = panel.context.path;
    const entry = (await published())[path];
    if (!entry) return;
    const course = panel.context.model.getMetadata('course') || {};
    if (course.version === entry.version || localStorage.getItem(KEPT + path) === entry.version) return;
    const name = m.coreutils.PathExt.basename(path);
    const body = document.createElement('div');
    body.className = 'lectures-new-version';
    body.innerHTML =
      '<p>The course has published a new version of this notebook since you started working on it.</p>' +
      '<p>What you see is <b>your own copy</b>, kept in this browser.</p>' +
      '<p><b>Get the new version</b> opens the course\'s new notebook and keeps your copy beside it, ' +
      `as <code></code>.</p>` +
      '<p><b>Keep my copy</b> goes on with your copy; you are asked again when the course publishes ' +
      'another version.</p>';
    body.querySelector('code').textContent = `${name.replace(/\.ipynb$/, '')} (my copy).ipynb`;
    const result = await m.apputils.showDialog({
      title: `A new version of ${name}`,
      body: new m.widgets.Widget({ node: body }),
      buttons: [
        m.apputils.Dialog.cancelButton({ label: 'Keep my copy' }),
        m.apputils.Dialog.okButton({ label: 'Get the new version' })
      ]
    });
    if (!result.button.accept) {
      localStorage.setItem(KEPT + path, entry.version);
      return;
    }
    await keepCopyAndReset(app, panel, m);
  }

  function updatesPlugin(m) {
    return {
      id: `${NAME}:course-updates`,
      description: 'Says when the course has published a newer version of an open notebook.',
      autoStart: true,
      requires: [m.notebook.INotebookTracker],
      activate: (app, tracker) => {
        const published = versionsOnce(m);
        tracker.widgetAdded.connect((_, panel) => {
          panel.context.ready
            .then(() => checkVersion(app, panel, m, published))
            .catch(error => console.error(`${NAME}: checking for a new version failed`, error));
        });
      }
    };
  }

  // ------------------------------------------------------------------------------ the container
  _JUPYTERLAB[NAME] = {
    init: scope => {
      shareScope = scope;
    },
    get: async module => {
      if (module !== './extension') throw new Error(`${NAME} has no module ${module}`);
      const loaded = await Promise.all(PACKAGES.map(shared));
      const [apputils, coreutils, docmanager, filebrowser, mainmenu, notebook, ui, widgets] = loaded;
      const m = { apputils, coreutils, docmanager, filebrowser, mainmenu, notebook, ui, widgets };
      const plugins = [executorPlugin(notebook), downloadPlugin(m), updatesPlugin(m)];
      return () => ({ __esModule: true, default: plugins });
    }
  };
})();

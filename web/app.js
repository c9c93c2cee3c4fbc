// The web application (docs/decisions.md "Web application"): plain modules, no build step. The token
// lives in sessionStorage; every call goes through `api`, and its errors are shown in words.

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const menu = document.getElementById("menu");
const errorLine = document.getElementById("error");
const PAGE_SIZE = 20;
const POLL_MS = 2000;
const EXPLOIT_ROLES = ["EXPLOIT", "ADMIN", "PROJECT_ADMIN", "INSTANCE_ADMIN"];
const ADMIN_ROLES = ["ADMIN", "PROJECT_ADMIN", "INSTANCE_ADMIN"];
const STATUSES = ["PENDING", "RUNNING", "PAUSED", "DONE", "DONE_WITH_WARNING", "FAILED", "EXPIRED", "DELETED"];

let stopPolling = () => {};

// ---- helpers ---------------------------------------------------------------------------------------

/** An element with attributes and children (strings become text). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

function token() {
  return sessionStorage.getItem("token");
}

/** The claims of a JWT (not verified here: the API does that). */
function claims(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}

class ApiError extends Error {}

/** Calls the API with the session's token; a refusal becomes an ApiError carrying the API's own words. */
async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (token() && !options.anonymous) headers.Authorization = `Bearer ${token()}`;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options = { ...options, body: JSON.stringify(options.json) };
  }
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch (failure) {
    throw new ApiError(`The service cannot be reached (${failure.message}).`);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const words = body && Array.isArray(body.messages) ? body.messages.join(" ") : `The service answered ${response.status}.`;
    const error = new ApiError(words);
    error.status = response.status;
    throw error;
  }
  return body;
}

function showError(error) {
  errorLine.textContent = error instanceof ApiError ? error.message : `Something went wrong: ${error.message}`;
  errorLine.hidden = false;
}

function clearError() {
  errorLine.hidden = true;
  errorLine.textContent = "";
}

function bytes(size) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function page(...children) {
  stopPolling();
  stopPolling = () => {};
  main.replaceChildren(...children);
}

// ---- sign in and navigation --------------------------------------------------------------------------

function role() {
  return claims(token() || "").role || "REGISTERED_USER";
}

function renderNav() {
  const links = [["Catalog", "#/catalog"], ["Basket", "#/basket"], ["Orders", "#/orders"]];
  if (EXPLOIT_ROLES.includes(role())) links.push(["Admin", "#/admin"]);
  const who = claims(token()).email || claims(token()).sub || "";
  nav.replaceChildren(
    h("ul", {}, links.map(([name, href]) => h("li", {}, h("a", { href }, name)))),
    h("span", { class: "who" }, `${who} (${role()})`),
    h("button", { type: "button", onclick: signOut }, "Sign out"),
  );
  nav.hidden = false;
  menu.hidden = false;
}

function signOut() {
  sessionStorage.removeItem("token");
  nav.hidden = true;
  menu.hidden = true;
  location.hash = "#/signin";
  route();
}

/** Keeps a token once the API accepts it; a refused one keeps the form and says why. */
async function signIn(candidate) {
  clearError();
  sessionStorage.setItem("token", candidate.trim());
  try {
    await api("/user/quota");
  } catch (error) {
    sessionStorage.removeItem("token");
    showError(new ApiError(`This token is refused: ${error.message}`));
    return;
  }
  renderNav();
  location.hash = "#/catalog";
  route();
}

async function signInPage() {
  const field = h("textarea", { id: "token", rows: 4, autocomplete: "off", spellcheck: "false", required: true });
  const form = h(
    "form",
    { onsubmit: (event) => { event.preventDefault(); signIn(field.value); } },
    h("label", { for: "token" }, "Token"),
    field,
    h("button", { type: "submit" }, "Sign in"),
  );
  const demo = h("div", { class: "demo" });
  page(h("h1", {}, "Sign in"), h("p", {}, "Paste an access token of this service or of its identity provider."), form, demo);
  const tokens = await fetch("/web/demo").then((r) => (r.ok ? r.json() : null)).catch(() => null);
  if (tokens) {
    demo.append(
      h("p", {}, "This service runs the demo:"),
      h("button", { type: "button", onclick: () => signIn(tokens.user) }, "Demo user"),
      h("button", { type: "button", onclick: () => signIn(tokens.admin) }, "Demo admin"),
    );
  }
  field.focus();
}

// ---- catalog -------------------------------------------------------------------------------------------

async function catalogPage(params) {
  const query = params.get("q") ?? "";
  const number = Number(params.get("page") ?? 0);
  const field = h("input", { id: "query", type: "search", value: query, placeholder: "e.g. platform:SENTINEL* AND cloud_cover:[0 TO 20]" });
  const datasets = h("select", { id: "dataset" }, h("option", { value: "" }, "Any dataset"));
  const from = h("input", { id: "from", type: "date" });
  const to = h("input", { id: "to", type: "date" });
  const property = h("input", { id: "property", type: "text", placeholder: "e.g. platform" });
  const value = h("input", { id: "value", type: "text", placeholder: "e.g. SENTINEL* or [0 TO 20]" });
  const counts = h("div");
  const results = h("div", { class: "results" });
  const total = h("p", { id: "total", role: "status", "aria-live": "polite" });
  const search = (q, n = 0) => { location.hash = `#/catalog?q=${encodeURIComponent(q)}&page=${n}`; };
  const form = h(
    "form",
    { role: "search", onsubmit: (event) => { event.preventDefault(); search(withHelpers(field.value, datasets.value, from.value, to.value, [property.value, value.value])); } },
    h("label", { for: "query" }, "Query"), field,
    h("details", {}, h("summary", {}, "Helpers"),
      h("label", { for: "dataset" }, "Dataset"), datasets,
      h("label", { for: "from" }, "Created from"), from,
      h("label", { for: "to" }, "Created until"), to,
      h("label", { for: "property" }, "Property"), property,
      h("label", { for: "value" }, "Value"), value),
    h("button", { type: "submit" }, "Search"),
  );
  page(h("h1", {}, "Catalog"), form, total, counts, results);
  field.focus();
  api("/catalog/datasets?size=1000").then((body) => {
    for (const { content } of body.content) datasets.append(h("option", { value: content.providerId }, `${content.label} (${content.objectsCount})`));
  }).catch(showError);
  if (!params.has("q")) return;
  try {
    const body = await api(`/catalog/search?q=${encodeURIComponent(query)}&page=${number}&size=${PAGE_SIZE}`);
    const count = body.metadata.totalElements;
    total.textContent = `${count} result${count === 1 ? "" : "s"}`;
    api(`/catalog/summary?q=${encodeURIComponent(query)}`).then(({ content }) => counts.replaceChildren(
      h("table", {}, h("caption", {}, "Per dataset"),
        h("thead", {}, h("tr", {}, ["Dataset", "Objects", "Files", "Size"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, content.datasets.map((d) => h("tr", {},
          h("th", { scope: "row" }, d.datasetLabel), h("td", {}, d.objectsCount), h("td", {}, d.filesCount), h("td", {}, bytes(d.filesSize)))))),
    )).catch(showError);
    results.append(
      h("button", { type: "button", onclick: () => addToBasket({ selectAllOpenSearchRequest: query }) }, "Add to basket"),
      h("ol", { start: number * PAGE_SIZE + 1 }, body.content.map(({ content }) => objectItem(content))),
      pager(body.metadata, (n) => search(query, n)),
    );
  } catch (error) {
    showError(error);
  }
}

/** The query with the helpers' conditions ANDed. */
function withHelpers(query, dataset, from, to, [property, value]) {
  const parts = query.trim() ? [`(${query.trim()})`] : [];
  if (dataset) parts.push(`dataset:${dataset}`);
  if (property.trim() && value.trim()) parts.push(`${property.trim()}:${value.trim()}`);
  if (from || to) parts.push(`creationDate:[${from ? `${from}T00:00:00.000Z` : "*"} TO ${to ? `${to}T23:59:59.999Z` : "*"}]`);
  return parts.join(" AND ");
}

/** Fetches an object's quicklook through the API (with the user's token) into an <img>. */
function quicklookOf(object) {
  const kinds = ["QUICKLOOK_SD", "QUICKLOOK_MD", "QUICKLOOK_HD", "THUMBNAIL"];
  if (!object.files.some((file) => kinds.includes(file.dataType))) return null;
  const image = h("img", { alt: `Quicklook of ${object.label}`, class: "quicklook", hidden: true, width: 64, height: 64 });
  fetch(`/catalog/objects/${encodeURIComponent(object.ipId)}/quicklook`, { headers: { Authorization: `Bearer ${token()}` } })
    .then((response) => (response.ok ? response.blob() : null))
    .then((blob) => {
      if (!blob) return;
      image.src = URL.createObjectURL(blob);
      image.hidden = false;
    })
    .catch(() => {});
  return image;
}

function objectItem(object) {
  const size = object.files.reduce((sum, file) => sum + (file.filesize || 0), 0);
  return h("li", {}, quicklookOf(object),
    h("strong", {}, object.label), " ",
    h("span", { class: "muted" }, `${object.providerId} · ${object.datasetLabel} · ${object.files.length} files, ${bytes(size)}`), " ",
    h("button", { type: "button", onclick: () => addToBasket({ selectAllOpenSearchRequest: `providerId:"${object.providerId}"` }), "aria-label": `Add ${object.providerId} to basket` }, "Add"));
}

function pager(metadata, go) {
  const previous = h("button", { type: "button", onclick: () => go(metadata.number - 1), disabled: metadata.number <= 0 }, "Previous page");
  const next = h("button", { type: "button", onclick: () => go(metadata.number + 1), disabled: metadata.number + 1 >= metadata.totalPages }, "Next page");
  return h("div", { class: "pager" }, previous, h("span", {}, `Page ${metadata.number + 1} of ${Math.max(metadata.totalPages, 1)}`), next);
}

async function addToBasket(selection) {
  clearError();
  try {
    const basket = await api("/order/basket/selection", { method: "POST", json: selection });
    const status = document.getElementById("total");
    if (!basket) showError(new ApiError("Nothing of this selection can be ordered: it has no file."));
    else if (status) status.textContent = `Added. The basket holds ${basket.content.datasetSelections.reduce((n, d) => n + d.objectsCount, 0)} objects.`;
  } catch (error) {
    showError(error);
  }
}

// ---- basket and order creation -------------------------------------------------------------------------

async function basketPage() {
  page(h("h1", {}, "Basket"), h("p", {}, "Loading…"));
  let basket;
  try {
    basket = await api("/order/basket");
  } catch (error) {
    if (error.status !== 404) showError(error);
  }
  const selections = basket?.content?.datasetSelections ?? [];
  const upload = uploadForm();
  if (selections.length === 0) {
    page(h("h1", {}, "Basket"), h("p", {}, "The basket is empty. Search the ", h("a", { href: "#/catalog" }, "catalog"), " or upload a list."), upload);
    return;
  }
  const label = h("input", { id: "label", type: "text", maxlength: 50 });
  const form = h("form", { onsubmit: (event) => { event.preventDefault(); createOrder(label.value); } },
    h("label", { for: "label" }, "Label"), label, h("button", { type: "submit" }, "Order"));
  page(
    h("h1", {}, "Basket"),
    h("table", {},
      h("thead", {}, h("tr", {}, ["Dataset", "Objects", "Files", "Size", "Quota", ""].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, selections.map((s) => h("tr", {},
        h("th", { scope: "row" }, s.datasetLabel), h("td", {}, s.objectsCount), h("td", {}, s.filesCount),
        h("td", {}, bytes(s.filesSize)), h("td", {}, s.quota ?? ""),
        h("td", {}, h("button", { type: "button", "aria-label": `Remove ${s.datasetLabel}`, onclick: () => change(`/order/basket/dataset/${s.id}`, basketPage) }, "Remove")))))),
    h("p", {}, `Quota: ${basket.content.quota ?? 0} RAWDATA files will count toward your download quota.`),
    ...selections.map(selectionDetails),
    h("button", { type: "button", onclick: () => change("/order/basket", basketPage) }, "Empty basket"),
    upload,
    form,
  );
}

/** A dataset selection's dated selections (each removable) and its file filter. */
function selectionDetails(selection) {
  const filter = selection.fileSelectionDescription || {};
  const id = `filter-${selection.id}`;
  const types = ["RAWDATA", "QUICKLOOK"].map((type) => h("input", { type: "checkbox", id: `${id}-${type}`, value: type, checked: (filter.fileTypes || []).includes(type) }));
  const pattern = h("input", { id: `${id}-pattern`, type: "text", value: filter.fileNamePattern || "" });
  const apply = async (body) => {
    clearError();
    try {
      await api(`/order/basket/dataset/${selection.id}/updateFileFilters`, { method: "PUT", json: body });
      basketPage();
    } catch (error) {
      showError(error);
    }
  };
  const chosen = () => ({ fileTypes: types.filter((t) => t.checked).map((t) => t.value), fileNamePattern: pattern.value.trim() || null });
  return h("details", {}, h("summary", {}, `${selection.datasetLabel}: selections and file filter`),
    h("ul", {}, selection.itemsSelections.map((item) => h("li", {},
      `${new Date(item.date).toLocaleString()}: ${item.objectsCount} objects, ${item.filesCount} files, ${bytes(item.filesSize)} `,
      h("button", { type: "button", "aria-label": `Remove the selection of ${new Date(item.date).toLocaleString()}`,
        onclick: () => change(`/order/basket/dataset/${selection.id}/${encodeURIComponent(item.date)}`, basketPage) }, "Remove")))),
    h("form", { onsubmit: (event) => { event.preventDefault(); apply(chosen()); } },
      h("fieldset", {}, h("legend", {}, "File types (none: all)"),
        types.map((box) => h("label", { for: box.id }, box, ` ${box.value}`))),
      h("label", { for: pattern.id }, "File name pattern"), pattern,
      h("button", { type: "submit" }, "Apply filter"),
      h("button", { type: "button", onclick: () => apply(null) }, "Remove filter")));
}

/** Adds the objects of a list of providerIds (one per line, at most 1000). */
function uploadForm() {
  const file = h("input", { id: "upload", type: "file", accept: ".txt,.csv,text/plain" });
  const send = async () => {
    clearError();
    if (!file.files.length) return showError(new ApiError("Choose a file of providerIds first."));
    const body = new FormData();
    body.append("file", file.files[0]);
    try {
      const response = await fetch("/order/basket/selection/upload", { method: "POST", headers: { Authorization: `Bearer ${token()}` }, body });
      if (response.status === 204) return showError(new ApiError("None of these providerIds can be ordered."));
      if (!response.ok) throw new ApiError((await response.json()).messages.join(" "));
      basketPage();
    } catch (error) {
      showError(error);
    }
  };
  return h("form", { onsubmit: (event) => { event.preventDefault(); send(); } },
    h("label", { for: "upload" }, "List of providerIds"), file,
    h("button", { type: "submit" }, "Upload list"));
}

async function change(path, then) {
  clearError();
  try {
    await api(path, { method: "DELETE" });
    then();
  } catch (error) {
    showError(error);
  }
}

async function createOrder(label) {
  clearError();
  try {
    const order = await api("/user/orders", { method: "POST", json: label.trim() ? { label: label.trim() } : {} });
    location.hash = `#/orders/${order.content.id}`;
  } catch (error) {
    showError(error);
  }
}

// ---- orders ----------------------------------------------------------------------------------------------

function progress(order) {
  return h("progress", { max: 100, value: order.percentCompleted, "aria-label": "Progress" }, `${order.percentCompleted} %`);
}

async function ordersPage(params) {
  const number = Number(params.get("page") ?? 0);
  const list = h("tbody");
  const paging = h("div");
  page(h("h1", {}, "Orders"), h("table", {},
    h("thead", {}, h("tr", {}, ["Order", "Status", "Progress", "Available", "Expires"].map((c) => h("th", { scope: "col" }, c)))), list), paging);
  const refresh = async () => {
    const body = await api(`/user/orders?page=${number}&size=${PAGE_SIZE}`);
    list.replaceChildren(...body.content.map(({ content: o }) => h("tr", {},
      h("th", { scope: "row" }, h("a", { href: `#/orders/${o.id}` }, o.label || `Order ${o.id}`)),
      h("td", {}, o.status, o.waitingForUser ? " (waiting for you)" : ""),
      h("td", {}, progress(o)), h("td", {}, o.availableFilesCount),
      h("td", {}, o.expirationDate ? new Date(o.expirationDate).toLocaleString() : ""))));
    if (body.metadata.totalPages > 1 && !paging.hasChildNodes()) {
      paging.append(pager(body.metadata, (n) => { location.hash = `#/orders?page=${n}`; }));
    }
  };
  poll(refresh);
}

/** Runs `refresh` now and every 2 s while the page stays (one request per refresh). */
function poll(refresh) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    try {
      await refresh();
    } catch (error) {
      showError(error);
    }
    if (!stopped) timer = setTimeout(tick, POLL_MS);
  };
  stopPolling = () => { stopped = true; clearTimeout(timer); };
  tick();
}

const ACTIONS = { pause: ["Pause", "PUT"], resume: ["Resume", "PUT"], delete: ["Delete", "DELETE"], remove: ["Remove", "DELETE"], restart: ["Restart", "POST"], retry: ["Retry", "PUT"] };

async function orderPage(id) {
  const status = h("p", { id: "status" });
  const bar = h("div");
  const actions = h("div", { class: "actions" });
  const links = h("p", { class: "links" });
  const tasks = h("div");
  const subOrders = h("tbody");
  const subOrdersBox = h("details", {}, h("summary", {}, "Sub-orders"),
    h("table", {}, h("thead", {}, h("tr", {}, ["Sub-order", "State", "Files", "Size", "Available", "Pending"].map((c) => h("th", { scope: "col" }, c)))), subOrders));
  page(h("h1", {}, `Order ${id}`), status, bar, actions, links, tasks, subOrdersBox);
  let publicLinks = null;
  let shownActions = "";
  const refresh = async () => {
    const { content: order, links: orderLinks } = await api(`/user/orders/${id}`);
    main.querySelector("h1").textContent = order.label || `Order ${order.id}`;
    status.replaceChildren("Status: ", h("strong", {}, order.status), order.waitingForUser ? " — files are waiting for you" : "", order.message ? ` — ${order.message}` : "");
    bar.replaceChildren(progress(order), ` ${order.percentCompleted} %, ${order.availableFilesCount} files available, ${order.filesInErrorCount} in error`);
    const allowed = orderLinks.filter((link) => ACTIONS[link.rel]);
    const names = allowed.map((link) => link.rel).join(",");
    if (names !== shownActions) {
      shownActions = names;
      actions.replaceChildren(...allowed.map((link) => h("button", { type: "button", onclick: () => act(order, link) }, ACTIONS[link.rel][0])));
    }
    if (order.availableFilesCount > 0 && !publicLinks) publicLinks = await api(`/user/orders/${id}/publicLinks`);
    if (publicLinks) {
      links.replaceChildren(
        h("a", { href: publicLinks.zip, download: "" }, "Download zip"), " ",
        h("a", { href: publicLinks.metalink, download: "" }, "Metalink"), " ",
        h("label", { for: "share" }, "Link to share"), h("input", { id: "share", readonly: true, value: publicLinks.metalink }),
      );
    }
    if (subOrdersBox.open) {
      const body = await api(`/orders/${id}/filesTasks?size=100`);
      subOrders.replaceChildren(...body.content.map(({ content: t }) => h("tr", {},
        h("th", { scope: "row" }, `${t.id}${t.storage ? ` (${t.storage})` : " (external)"}`),
        h("td", {}, t.state, t.waitingForUser ? " (waiting for you)" : ""), h("td", {}, t.filesCount),
        h("td", {}, bytes(t.filesSize)), h("td", {}, t.availableFilesCount), h("td", {}, t.pendingFilesCount))));
    }
    if (!tasks.hasChildNodes()) {
      tasks.replaceChildren(...order.datasetTasks.map((task) => taskFiles(order, task, () => publicLinks)));
    }
  };
  subOrdersBox.addEventListener("toggle", () => { if (subOrdersBox.open) refresh().catch(showError); });
  poll(refresh);
}

/** A dataset task, its files listed (with their states and links) when opened. */
function taskFiles(order, task, links) {
  const body = h("div", {}, h("p", {}, "Loading…"));
  const details = h("details", {}, h("summary", {}, `${task.datasetLabel}: ${task.objectsCount} objects, ${task.filesCount} files, ${bytes(task.filesSize)}`), body);
  details.addEventListener("toggle", async () => {
    if (!details.open) return;
    try {
      const files = await api(`/orders/${order.id}/dataset/${task.id}/files?size=100`);
      const token = links()?.orderToken;
      body.replaceChildren(h("table", {},
        h("thead", {}, h("tr", {}, ["File", "Type", "Size", "State"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, files.content.map(({ content: f }) => h("tr", {},
          h("th", { scope: "row" }, token && ["AVAILABLE", "DOWNLOADED"].includes(f.state) ? h("a", { href: `/orders/public/files/${f.id}?orderToken=${token}` }, f.filename) : f.filename),
          h("td", {}, f.dataType), h("td", {}, f.filesize === undefined ? "" : bytes(f.filesize)),
          h("td", {}, f.state, f.downloadError ? ` (${f.downloadError})` : ""))))),
        files.metadata.totalElements > 100 ? h("p", {}, `The first 100 of ${files.metadata.totalElements} files.`) : "");
    } catch (error) {
      showError(error);
    }
  });
  return details;
}

async function act(order, link) {
  clearError();
  const [name, method] = ACTIONS[link.rel];
  if (["delete", "remove"].includes(link.rel) && !confirm(`${name} ${order.label || `order ${order.id}`}?`)) return;
  try {
    const answer = await api(new URL(link.href).pathname, { method });
    if (link.rel === "restart" && answer?.content?.id) location.hash = `#/orders/${answer.content.id}`;
    else if (link.rel === "remove" || link.rel === "delete") location.hash = "#/orders";
    else route();
  } catch (error) {
    showError(error);
  }
}

// ---- admin ---------------------------------------------------------------------------------------------

/** EXPLOIT and above: every user's orders (search, CSV); ADMIN and above: access rights and quotas. */
function adminPage() {
  const sections = [ordersSection()];
  if (ADMIN_ROLES.includes(role())) sections.push(rightsSection(), quotaSection());
  page(h("h1", {}, "Admin"), ...sections);
}

function ordersSection() {
  const owner = h("input", { id: "owner", type: "text" });
  const status = h("select", { id: "status" }, h("option", { value: "" }, "Any status"), STATUSES.map((s) => h("option", { value: s }, s)));
  const waiting = h("input", { id: "waiting", type: "checkbox" });
  const results = h("div");
  const filter = () => {
    const body = {};
    if (owner.value.trim()) body.owner = owner.value.trim();
    if (status.value) body.statuses = { values: [status.value] };
    if (waiting.checked) body.waitingForUser = true;
    return body;
  };
  const search = async (n = 0) => {
    clearError();
    try {
      const body = await api(`/orders/search?page=${n}&size=${PAGE_SIZE}`, { method: "POST", json: filter() });
      const count = body.metadata.totalElements;
      results.replaceChildren(
        h("p", { role: "status" }, `${count} order${count === 1 ? "" : "s"}`),
        h("table", {}, h("thead", {}, h("tr", {}, ["Order", "Owner", "Status", "Progress", "Created"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, body.content.map(({ content: o }) => h("tr", {},
            h("th", { scope: "row" }, o.label || `Order ${o.id}`), h("td", {}, o.owner), h("td", {}, o.status),
            h("td", {}, `${o.percentCompleted} %`), h("td", {}, new Date(o.creationDate).toLocaleString()))))),
        pager(body.metadata, search),
      );
    } catch (error) {
      showError(error);
    }
  };
  const exportCsv = async () => {
    clearError();
    try {
      const response = await fetch("/orders/csv", { method: "POST", headers: { Authorization: `Bearer ${token()}`, "Content-Type": "application/json" }, body: JSON.stringify(filter()) });
      if (!response.ok) throw new ApiError((await response.json()).messages.join(" "));
      const link = h("a", { href: URL.createObjectURL(await response.blob()), download: "orders.csv" });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      showError(error);
    }
  };
  return h("section", { "aria-labelledby": "orders-heading" },
    h("h2", { id: "orders-heading" }, "Orders of every user"),
    h("form", { onsubmit: (event) => { event.preventDefault(); search(); } },
      h("label", { for: "owner" }, "Owner"), owner,
      h("label", { for: "status" }, "Status"), status,
      h("label", {}, waiting, " Waiting for user"),
      h("button", { type: "submit" }, "Search orders"),
      h("button", { type: "button", onclick: exportCsv }, "Export CSV")),
    results);
}

function rightsSection() {
  const list = h("tbody");
  const dataset = h("select", { id: "rights-dataset" });
  const open = h("input", { id: "open", type: "checkbox" });
  const groups = h("input", { id: "groups", type: "text", placeholder: "team-a:FULL_ACCESS, guests:RESTRICTED_ACCESS" });
  const load = async () => {
    const body = await api("/access/datasets?size=1000");
    dataset.replaceChildren(...body.content.map(({ content: d }) => h("option", { value: d.datasetIpId }, d.datasetIpId)));
    list.replaceChildren(...body.content.map(({ content: d }) => h("tr", {},
      h("th", { scope: "row" }, d.datasetIpId),
      h("td", {}, d.open ? "open to every user" : d.rights.length ? d.rights.map((r) => `${r.group}: ${r.level}`).join(", ") : "no rights set"))));
  };
  const save = async () => {
    clearError();
    const rights = groups.value.split(",").map((part) => part.trim()).filter(Boolean).map((part) => {
      const [group, level] = part.split(":").map((x) => x.trim());
      return { group, level: level || "FULL_ACCESS" };
    });
    try {
      await api(`/access/datasets/${encodeURIComponent(dataset.value)}`, { method: "PUT", json: open.checked ? { open: true } : { rights } });
      await load();
    } catch (error) {
      showError(error);
    }
  };
  load().catch(showError);
  return h("section", { "aria-labelledby": "rights-heading" },
    h("h2", { id: "rights-heading" }, "Dataset access rights"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Dataset"), h("th", { scope: "col" }, "Rights"))), list),
    h("form", { onsubmit: (event) => { event.preventDefault(); save(); } },
      h("label", { for: "rights-dataset" }, "Dataset"), dataset,
      h("label", {}, open, " Open to every user"),
      h("label", { for: "groups" }, "Groups"), groups,
      h("button", { type: "submit" }, "Save rights")));
}

function quotaSection() {
  const user = h("input", { id: "quota-user", type: "email" });
  const max = h("input", { id: "max-quota", type: "number", min: -1 });
  const rate = h("input", { id: "rate-limit", type: "number", min: -1 });
  const shown = h("p", { role: "status" });
  const show = (usage) => {
    max.value = usage.maxQuota;
    rate.value = usage.rateLimit;
    shown.textContent = `${user.value}: ${usage.currentQuota} files downloaded of ${usage.maxQuota < 0 ? "unlimited" : usage.maxQuota}, ${usage.currentRate} downloads running (at most ${usage.rateLimit < 0 ? "unlimited" : usage.rateLimit}).`;
  };
  const call = async (options) => {
    clearError();
    try {
      show(await api(`/quotas/${encodeURIComponent(user.value.trim())}`, options));
    } catch (error) {
      showError(error);
    }
  };
  return h("section", { "aria-labelledby": "quota-heading" },
    h("h2", { id: "quota-heading" }, "User quotas"),
    h("form", { onsubmit: (event) => { event.preventDefault(); call({ method: "PUT", json: { maxQuota: Number(max.value), rateLimit: Number(rate.value) } }); } },
      h("label", { for: "quota-user" }, "User"), user,
      h("button", { type: "button", onclick: () => call({}) }, "Show quota"),
      h("label", { for: "max-quota" }, "Max quota"), max,
      h("label", { for: "rate-limit" }, "Rate limit"), rate,
      h("button", { type: "submit" }, "Save quota")),
    shown);
}

// ---- routing -----------------------------------------------------------------------------------------------

async function route() {
  clearError();
  const [path, query] = location.hash.slice(1).split("?");
  const params = new URLSearchParams(query || "");
  if (!token()) return signInPage();
  const order = path.match(/^\/orders\/(\d+)$/);
  if (order) return orderPage(order[1]);
  if (path === "/basket") return basketPage();
  if (path === "/orders") return ordersPage(params);
  if (path === "/admin" && EXPLOIT_ROLES.includes(role())) return adminPage();
  return catalogPage(params);
}

menu.addEventListener("click", () => {
  const open = menu.getAttribute("aria-expanded") !== "true";
  menu.setAttribute("aria-expanded", String(open));
  nav.classList.toggle("open", open);
});
window.addEventListener("hashchange", route);
if (token()) renderNav();
route();

export { withHelpers };

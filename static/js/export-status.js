// Export panels: request the export without leaving the page, then poll its status until it is
// done (show the download link) or failed (show "Try again"). Without JavaScript the form posts
// and the page shows the latest status. A submission's files (data-reload-when-done) are polled
// the same way; when they are ready the page reloads, and the server shows their links.
const POLL_MS = 2000;
const TAGS = {
  queued: ["Queued", "govuk-tag--grey"],
  running: ["Running", "govuk-tag--light-blue"],
  done: ["Completed", "govuk-tag--green"],
  failed: ["Failed", "govuk-tag--red"],
};

function render(panel, payload) {
  const region = panel.querySelector(".app-export-panel__status");
  region.replaceChildren();
  const line = document.createElement("p");
  line.className = "govuk-body";
  const [label, modifier] = TAGS[payload.status] || TAGS.queued;
  const tag = document.createElement("strong");
  tag.className = `govuk-tag ${modifier}`;
  tag.textContent = label;
  const message = document.createElement("span");
  message.className = "app-export-panel__message";
  message.textContent = ` ${payload.message}`;
  line.append(tag, message);
  region.append(line);
  if (payload.status === "done" && payload.download_url) {
    const p = document.createElement("p");
    p.className = "govuk-body";
    const link = document.createElement("a");
    link.className = "govuk-link app-export-panel__download";
    link.href = payload.download_url;
    link.setAttribute("download", "");
    // Same wording as the server-rendered link, e.g. "Download the Part 1 plan (PDF)".
    link.textContent = panel.dataset.label ? `Download the ${panel.dataset.label}` : "Download the file";
    p.append(link);
    region.append(p);
  }
  const form = panel.querySelector(".app-export-panel__form");
  if (!form) return;
  const button = form.querySelector("button");
  button.textContent = payload.status === "failed" ? "Try again" : button.dataset.label;
  button.disabled = payload.status === "queued" || payload.status === "running";
  // A submission's files offer only "Try again", and only once they have failed.
  if ("reloadWhenDone" in panel.dataset) form.hidden = payload.status !== "failed";
}

// Keep polling while the file is on its way; a submission's page reloads once its files are ready.
function next(panel, payload, url, delay = POLL_MS) {
  if (payload.status === "queued" || payload.status === "running") {
    window.setTimeout(() => poll(panel, url), delay);
  } else if (payload.status === "done" && "reloadWhenDone" in panel.dataset) {
    window.location.reload();
  }
}

async function poll(panel, url) {
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(`Status ${response.status}`);
    const payload = await response.json();
    render(panel, payload);
    next(panel, payload, url);
  } catch (error) {
    render(panel, { status: "queued", message: "We cannot check the export right now. Refresh the page to try again." });
  }
}

function init(panel) {
  const form = panel.querySelector(".app-export-panel__form");
  if (form) listen(panel, form);
  const status = panel.dataset.status;
  if (panel.dataset.statusUrl && (status === "queued" || status === "running")) poll(panel, panel.dataset.statusUrl);
}

function listen(panel, form) {
  const button = form.querySelector("button");
  if (!button.dataset.label) {
    button.dataset.label = button.textContent.trim() === "Try again" ? "Export again" : button.textContent.trim();
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`Status ${response.status}`);
      const payload = await response.json();
      render(panel, payload);
      next(panel, payload, payload.status_url, 0);
    } catch (error) {
      render(panel, { status: "failed", message: "The request could not be sent. Try again." });
    }
  });
}

document.querySelectorAll('[data-module="app-export-status"]').forEach(init);

// The portal without reloads where the browser allows: uploads with a progress bar per file and
// limits checked before sending, answers saved as typed. Every form also works without this script.
(function () {
  "use strict";
  const json = { Accept: "application/json" };
  // Sentences come translated from the page (#portal-text), in the client's language.
  const text = (document.getElementById("portal-text") || { dataset: {} }).dataset;
  function t(key, fallback, values) {
    let sentence = text[key] || fallback;
    Object.entries(values || {}).forEach(([name, value]) => { sentence = sentence.replace("{" + name + "}", value); });
    return sentence;
  }

  function say(form, text, ok) {
    const out = form.querySelector(".feedback");
    if (out) { out.textContent = text; out.className = "feedback " + (ok ? "" : "error"); }
  }

  function humanSize(bytes) {
    const units = (text.units || "B KB MB GB").split(" ");
    let i = 0;
    while (bytes >= 1000 && i < units.length - 1) { bytes /= 1000; i++; }
    return bytes.toFixed(i ? 1 : 0) + " " + units[i];
  }

  function filesOf(form) {
    return Array.from(form.querySelectorAll('input[type=file]')).flatMap((input) => Array.from(input.files));
  }

  function checkLimits(form, files) {
    const maxSize = Number(form.dataset.maxSize), maxFiles = Number(form.dataset.maxFiles);
    const existing = Number(form.dataset.existing || 0);
    if (!files.length) return t("none", "Choose at least one file.");
    if (files.length + existing > maxFiles) {
      return t("tooMany", "At most {count} file(s) for this item.", { count: maxFiles });
    }
    const big = files.find((f) => f.size > maxSize);
    if (big) {
      return t("tooBig", "“{name}” is {size}: the limit is {limit}.",
        { name: big.name, size: humanSize(big.size), limit: humanSize(maxSize) });
    }
    return "";
  }

  function sendOne(form, file) {
    return new Promise((resolve) => {
      const bar = document.createElement("div");
      bar.innerHTML = '<span class="muted"></span><div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"><span></span></div>';
      bar.querySelector(".muted").textContent = file.name;
      form.querySelector(".bars").appendChild(bar);
      const data = new FormData();
      data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      data.append("files", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (e) => {
        if (!e.lengthComputable) return;
        const pct = Math.round((e.loaded / e.total) * 100);
        bar.querySelector(".progress span").style.width = pct + "%";
        bar.querySelector(".progress").setAttribute("aria-valuenow", String(pct));
      };
      xhr.onload = () => {
        let reply = {};
        try { reply = JSON.parse(xhr.responseText); } catch (e) { reply = { ok: false, message: xhr.statusText }; }
        resolve(reply);
      };
      xhr.onerror = () => resolve({ ok: false, message: t("offline", "The connection failed. Please try again.") });
      xhr.send(data);
    });
  }

  document.querySelectorAll("form.upload").forEach((form) => {
    const zone = form.querySelector(".dropzone");
    const picker = form.querySelector('input[type=file]');
    if (zone && picker) {
      zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
      zone.addEventListener("dragleave", () => zone.classList.remove("over"));
      zone.addEventListener("drop", (e) => {
        e.preventDefault(); zone.classList.remove("over");
        picker.files = e.dataTransfer.files;
      });
    }
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const files = filesOf(form);
      const problem = checkLimits(form, files);
      if (problem) { say(form, problem, false); return; }
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      const replies = [];
      for (const file of files) replies.push(await sendOne(form, file));
      const failed = replies.filter((r) => !r.ok);
      if (failed.length) { say(form, failed.map((r) => r.message).join(" "), false); button.disabled = false; return; }
      window.location.reload();
    });
  });

  document.querySelectorAll("form.answer").forEach((form) => {
    const article = form.closest("[data-item]");
    let timer = null;
    async function save() {
      const reply = await fetch(form.action, { method: "POST", body: new FormData(form), headers: json, credentials: "same-origin" })
        .then((r) => r.json()).catch(() => ({ ok: false, message: t("notSaved", "Not saved: the connection failed.") }));
      say(form, reply.message, reply.ok);
      if (reply.ok && article && article.dataset.hasDependants) window.location.reload();
    }
    form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(save, 800); });
    form.addEventListener("change", () => { clearTimeout(timer); save(); });
    form.addEventListener("submit", (e) => { e.preventDefault(); clearTimeout(timer); save(); });
  });
})();

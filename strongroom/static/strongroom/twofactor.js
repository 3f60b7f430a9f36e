// Passkeys: registration on the two-factor page, and the passkey step of signing in. The server
// sends WebAuthn options as JSON (base64url for binary values) and verifies the browser's answer.
(function () {
  "use strict";

  function say(form, message) {
    const out = form.querySelector(".feedback");
    if (out) { out.textContent = message; out.className = "feedback error"; }
  }

  async function post(form, url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value,
      },
      body: body === undefined ? "{}" : JSON.stringify(body),
    });
    const data = await response.json();
    if (data.redirect) { window.location.assign(data.redirect); return null; }
    if (!response.ok) { throw new Error(data.error || response.statusText); }
    return data;
  }

  function supported(form) {
    if (window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON) { return true; }
    say(form, form.dataset.unsupported);
    return false;
  }

  const register = document.getElementById("passkey-register");
  if (register) {
    register.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!supported(register)) { return; }
      try {
        const options = await post(register, register.dataset.optionsUrl);
        if (!options) { return; }
        const credential = await navigator.credentials.create({
          publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
        });
        await post(register, register.dataset.registerUrl, {
          nickname: register.querySelector("[name=nickname]").value,
          credential: credential.toJSON(),
        });
      } catch (error) { say(register, error.message); }
    });
  }

  const signIn = document.getElementById("passkey-sign-in");
  if (signIn) {
    signIn.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!supported(signIn)) { return; }
      try {
        const options = await post(signIn, signIn.dataset.optionsUrl);
        if (!options) { return; }
        const credential = await navigator.credentials.get({
          publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
        });
        await post(signIn, signIn.dataset.verifyUrl, { credential: credential.toJSON() });
      } catch (error) { say(signIn, error.message); }
    });
  }
})();

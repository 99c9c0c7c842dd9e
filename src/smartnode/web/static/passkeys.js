// Passkeys: the WebAuthn ceremony on the passkeys page (add one) and on the sign-in page.
// Our own small script. Pages work without it; only the ceremony itself needs it.
// Each request carries the page's CSRF token in X-CSRF-Token; the server checks Origin too.
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return; // the passkey parts stay hidden, the notes about JavaScript stay shown
  }

  function toBuffer(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    var padded = base64 + "===".slice((base64.length + 3) % 4);
    var binary = atob(padded);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBuffer(item.id) });
    });
  }

  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: toBuffer(json.challenge),
      user: Object.assign({}, json.user, { id: toBuffer(json.user.id) }),
      excludeCredentials: withIds(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: toBuffer(json.challenge),
      allowCredentials: withIds(json.allowCredentials),
    });
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
    };
    if (credential.authenticatorAttachment) {
      out.authenticatorAttachment = credential.authenticatorAttachment;
    }
    if (response.attestationObject) {
      out.response.attestationObject = toBase64url(response.attestationObject);
      if (response.getTransports) {
        out.response.transports = response.getTransports();
      }
    }
    if (response.authenticatorData) {
      out.response.authenticatorData = toBase64url(response.authenticatorData);
      out.response.signature = toBase64url(response.signature);
      if (response.userHandle) {
        out.response.userHandle = toBase64url(response.userHandle);
      }
    }
    return out;
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRF-Token": csrf,
      },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || "");
          error.shown = data.error;
          throw error;
        }
        return data;
      });
    });
  }

  function showError(box, fallback, error) {
    if (error && error.name === "AbortError") {
      return;
    }
    box.textContent = (error && error.shown) || fallback;
    box.hidden = false;
  }

  function setUpAdding(section) {
    var form = section.querySelector("[data-passkey-form]");
    var box = section.querySelector("[data-passkey-error]");
    var note = section.querySelector("[data-passkey-needs-script]");
    var csrf = section.dataset.csrf;
    form.hidden = false;
    if (note) {
      note.hidden = true;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      box.hidden = true;
      var name = form.elements.name.value;
      post(section.dataset.optionsUrl, csrf, {})
        .then(function (options) {
          return navigator.credentials.create({ publicKey: creationOptions(options) });
        })
        .then(function (credential) {
          return post(section.dataset.verifyUrl, csrf, {
            name: name,
            credential: credentialJSON(credential),
          });
        })
        .then(function (done) { window.location.assign(done.redirect); })
        .catch(function (error) { showError(box, section.dataset.failed, error); });
    });
  }

  function setUpSignIn(section) {
    var box = section.querySelector("[data-passkey-error]");
    var button = section.querySelector("[data-passkey-button]");
    var nameField = document.getElementById(section.dataset.nameField || "");
    var csrf = section.dataset.csrf;
    var waiting = null; // the autofill request under way, if any

    function signIn(name, mediation) {
      var controller = new AbortController();
      return post(section.dataset.optionsUrl, csrf, { name: name })
        .then(function (options) {
          var request = { publicKey: requestOptions(options), signal: controller.signal };
          if (mediation) {
            request.mediation = mediation;
          }
          waiting = mediation ? controller : null;
          return navigator.credentials.get(request);
        })
        .then(function (credential) {
          return post(section.dataset.verifyUrl, csrf, {
            credential: credentialJSON(credential),
            next: section.dataset.next,
          });
        })
        .then(function (done) { window.location.assign(done.redirect); });
    }

    section.hidden = false;
    button.addEventListener("click", function () {
      box.hidden = true;
      if (waiting) {
        waiting.abort();
        waiting = null;
      }
      var name = nameField ? nameField.value.trim() : "";
      signIn(name, null).catch(function (error) {
        showError(box, section.dataset.failed, error);
      });
    });
    // Offer passkeys in the username field's autofill where the browser can.
    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (available) {
          signIn("", "conditional").catch(function (error) {
            showError(box, section.dataset.failed, error);
          });
        }
      });
    }
  }

  var adding = document.querySelector("[data-passkey-add]");
  if (adding) {
    setUpAdding(adding);
  }
  var signingIn = document.querySelector("[data-passkey-signin]");
  if (signingIn) {
    setUpSignIn(signingIn);
  }
})();

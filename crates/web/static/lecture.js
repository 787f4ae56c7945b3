// Read-aloud for the diagnostic taken alone: the browser's own speech synthesis, when it has
// one. Without it (or without scripts) the button stays hidden; everything works without it.
(function () {
  if (!('speechSynthesis' in window) || typeof SpeechSynthesisUtterance !== 'function') return;
  var holder = document.querySelector('.read-aloud');
  var button = document.getElementById('ecouter');
  if (!holder || !button) return;
  holder.hidden = false;
  button.addEventListener('click', function () {
    window.speechSynthesis.cancel();
    var parts = Array.prototype.map.call(document.querySelectorAll('[data-lecture]'), function (el) {
      return el.textContent.trim();
    });
    var utterance = new SpeechSynthesisUtterance(parts.join('. '));
    utterance.lang = 'fr-FR';
    utterance.rate = 0.9;
    window.speechSynthesis.speak(utterance);
  });
})();

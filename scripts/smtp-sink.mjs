// A minimal SMTP server on loopback, for the browser tests and the demo: it accepts every message
// and appends it, as one JSON line {to, data} with the quoted-printable text decoded, to the file
// named by MAILLAGE_E2E_MAILBOX. Nothing leaves the machine.
import { createServer } from 'node:net';
import { appendFileSync } from 'node:fs';

const port = Number(process.env.MAILLAGE_E2E_SMTP_PORT ?? 18025);
const mailbox = process.env.MAILLAGE_E2E_MAILBOX ?? '/tmp/maillage-e2e-mailbox.jsonl';

createServer((socket) => {
  socket.setEncoding('utf8');
  socket.write('220 sink ESMTP\r\n');
  let buffer = '';
  let inData = false;
  let data = [];
  let to = [];
  socket.on('data', (chunk) => {
    buffer += chunk;
    let at;
    while ((at = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      if (inData) {
        if (line === '.') {
          inData = false;
          // Quoted-printable decoded (soft line breaks joined, =C3=A9 → é), so people and tests
          // read the text and its links.
          const text = data.join('\n').replaceAll('=\n', '')
            .replace(/(?:=[0-9A-F]{2})+/g, (m) => Buffer.from(m.replaceAll('=', ''), 'hex').toString('utf8'));
          appendFileSync(mailbox, JSON.stringify({ to, data: text }) + '\n');
          data = [];
          to = [];
          socket.write('250 queued\r\n');
        } else {
          data.push(line);
        }
        continue;
      }
      const upper = line.toUpperCase();
      if (upper.startsWith('EHLO') || upper.startsWith('HELO')) socket.write('250-sink\r\n250 8BITMIME\r\n');
      else if (upper.startsWith('RCPT TO:')) { to.push(line.slice(8).trim().replace(/^<|>$/g, '')); socket.write('250 OK\r\n'); }
      else if (upper.startsWith('DATA')) { inData = true; socket.write('354 go\r\n'); }
      else if (upper.startsWith('QUIT')) { socket.end('221 bye\r\n'); }
      else socket.write('250 OK\r\n');
    }
  });
  socket.on('error', () => {});
}).listen(port, '127.0.0.1');

// A minimal SMTP server on loopback for the browser tests: it accepts every message and appends
// it, as one JSON line {to, data}, to the file named by MAILLAGE_E2E_MAILBOX.
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
          // Quoted-printable soft line breaks joined, so tests read the links.
          appendFileSync(mailbox, JSON.stringify({ to, data: data.join('\n').replaceAll('=\n', '') }) + '\n');
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

package dev.popdns.e2e;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/** A bare DNS client over real sockets: sends exactly the bytes given, returns exactly what came back. */
final class DnsClient {
    static final int TIMEOUT_MILLIS = 3000;

    private DnsClient() {}

    enum Transport {
        UDP,
        TCP
    }

    /** A query for {@code name}/{@code type} in class IN with RD clear and no EDNS. */
    static Message query(String name, int type) {
        try {
            Message m = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
            m.getHeader().unsetFlag(Flags.RD);
            return m;
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static Message withEdns(Message query, int udpSize, int flags) {
        query.addRecord(new OPTRecord(udpSize, 0, 0, flags), Section.ADDITIONAL);
        return query;
    }

    static Message ask(Transport transport, InetSocketAddress server, Message query) throws IOException {
        byte[] reply = transport == Transport.UDP ? udp(server, query.toWire()) : tcp(server, query.toWire());
        if (reply == null) {
            throw new SocketTimeoutException("no answer from " + server + " over " + transport);
        }
        return new Message(reply);
    }

    /** Sends one datagram; returns the reply or null after the timeout. */
    static byte[] udp(InetSocketAddress server, byte[] packet) throws IOException {
        return udp(server, packet, TIMEOUT_MILLIS);
    }

    static byte[] udp(InetSocketAddress server, byte[] packet, int timeoutMillis) throws IOException {
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(timeoutMillis);
            socket.send(new DatagramPacket(packet, packet.length, server));
            byte[] buf = new byte[65535];
            DatagramPacket reply = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(reply);
            } catch (SocketTimeoutException e) {
                return null;
            }
            return Arrays.copyOf(buf, reply.getLength());
        }
    }

    /** One query on a fresh TCP connection. */
    static byte[] tcp(InetSocketAddress server, byte[] packet) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(server, TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            writeFramed(socket.getOutputStream(), packet);
            return readFramed(new DataInputStream(socket.getInputStream()));
        }
    }

    static void writeFramed(OutputStream out, byte[]... packets) throws IOException {
        int total = 0;
        for (byte[] p : packets) {
            total += 2 + p.length;
        }
        byte[] all = new byte[total];
        int pos = 0;
        for (byte[] p : packets) {
            all[pos++] = (byte) (p.length >> 8);
            all[pos++] = (byte) p.length;
            System.arraycopy(p, 0, all, pos, p.length);
            pos += p.length;
        }
        out.write(all);
        out.flush();
    }

    static byte[] readFramed(DataInputStream in) throws IOException {
        int length = in.readUnsignedShort();
        byte[] reply = new byte[length];
        in.readFully(reply);
        return reply;
    }

    static String typeName(int type) {
        return Type.string(type);
    }
}

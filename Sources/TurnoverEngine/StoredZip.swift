public import Foundation

/// A ZIP archive of stored (uncompressed) files: what an evidence pack needs, readable by every
/// unzip tool, and small enough to check by eye. Reading is strict about structure but reports a
/// file whose bytes do not match its CRC instead of refusing the archive, so a verifier can name
/// the altered file.
public enum StoredZip {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var data: Data
        /// False when the data does not match the CRC-32 the archive records for it.
        public var crcMatches: Bool

        public init(name: String, data: Data, crcMatches: Bool = true) {
            self.name = name
            self.data = data
            self.crcMatches = crcMatches
        }
    }

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    public static func archive(_ files: [(name: String, data: Data)], modified: Date) -> Data {
        let (time, date) = dosTime(modified)
        var out = Data()
        var central = Data()
        for file in files {
            let name = Data(file.name.utf8)
            let crc = crc32(file.data)
            let offset = UInt32(out.count)
            out.append(le32: 0x0403_4b50)
            out.append(le16: 20)  // version needed
            out.append(le16: 0x0800)  // names are UTF-8
            out.append(le16: 0)  // stored
            out.append(le16: time)
            out.append(le16: date)
            out.append(le32: crc)
            out.append(le32: UInt32(file.data.count))
            out.append(le32: UInt32(file.data.count))
            out.append(le16: UInt16(name.count))
            out.append(le16: 0)
            out.append(name)
            out.append(file.data)

            central.append(le32: 0x0201_4b50)
            central.append(le16: 0x031e)  // made by: Unix, 3.0
            central.append(le16: 20)
            central.append(le16: 0x0800)
            central.append(le16: 0)
            central.append(le16: time)
            central.append(le16: date)
            central.append(le32: crc)
            central.append(le32: UInt32(file.data.count))
            central.append(le32: UInt32(file.data.count))
            central.append(le16: UInt16(name.count))
            central.append(le16: 0)  // extra
            central.append(le16: 0)  // comment
            central.append(le16: 0)  // disk
            central.append(le16: 0)  // internal attributes
            central.append(le32: 0o100644 << 16)  // -rw-r--r--
            central.append(le32: offset)
            central.append(name)
        }
        let centralOffset = UInt32(out.count)
        out.append(central)
        out.append(le32: 0x0605_4b50)
        out.append(le16: 0)
        out.append(le16: 0)
        out.append(le16: UInt16(files.count))
        out.append(le16: UInt16(files.count))
        out.append(le32: UInt32(central.count))
        out.append(le32: centralOffset)
        out.append(le16: 0)
        return out
    }

    public static func entries(of archive: Data) throws(Malformed) -> [Entry] {
        let bytes = [UInt8](archive)
        func le16(_ at: Int) throws(Malformed) -> Int {
            guard at >= 0, at + 2 <= bytes.count else { throw Malformed(description: "the archive is truncated") }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8
        }
        func le32(_ at: Int) throws(Malformed) -> Int {
            guard at >= 0, at + 4 <= bytes.count else { throw Malformed(description: "the archive is truncated") }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        // The end record is the last 22 bytes when there is no archive comment, as here.
        var end = bytes.count - 22
        while end >= 0, (try? le32(end)) != 0x0605_4b50 { end -= 1 }
        guard end >= 0 else { throw Malformed(description: "it is not a ZIP archive (no end of central directory)") }
        let count = try le16(end + 10)
        var cursor = try le32(end + 16)
        var entries: [Entry] = []
        for _ in 0..<count {
            guard try le32(cursor) == 0x0201_4b50 else { throw Malformed(description: "its central directory is damaged") }
            let method = try le16(cursor + 10)
            let crc = try le32(cursor + 16)
            let size = try le32(cursor + 20)
            let nameLength = try le16(cursor + 28)
            let extraLength = try le16(cursor + 30)
            let commentLength = try le16(cursor + 32)
            let local = try le32(cursor + 42)
            guard cursor + 46 + nameLength <= bytes.count else { throw Malformed(description: "the archive is truncated") }
            let name = String(decoding: bytes[(cursor + 46)..<(cursor + 46 + nameLength)], as: UTF8.self)
            guard method == 0 else { throw Malformed(description: "\(name) is compressed; an evidence pack stores its files") }
            guard try le32(local) == 0x0403_4b50 else { throw Malformed(description: "the local header of \(name) is damaged") }
            let start = local + 30 + (try le16(local + 26)) + (try le16(local + 28))
            guard start + size <= bytes.count else { throw Malformed(description: "\(name) is truncated") }
            let data = Data(bytes[start..<(start + size)])
            entries.append(Entry(name: name, data: data, crcMatches: Int(crc32(data)) == crc))
            cursor += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }

    static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    public static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// MS-DOS time and date, as ZIP headers carry them (UTC here: a pack reads the same everywhere).
    static func dosTime(_ date: Date) -> (UInt16, UInt16) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let time = UInt16((parts.hour ?? 0) << 11 | (parts.minute ?? 0) << 5 | (parts.second ?? 0) / 2)
        let day = UInt16(max(0, (parts.year ?? 1980) - 1980) << 9 | (parts.month ?? 1) << 5 | (parts.day ?? 1))
        return (time, day)
    }
}

extension Data {
    fileprivate mutating func append(le16 value: UInt16) { append(contentsOf: [UInt8(value & 0xFF), UInt8(value >> 8)]) }
    fileprivate mutating func append(le32 value: UInt32) {
        append(contentsOf: [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)])
    }
}

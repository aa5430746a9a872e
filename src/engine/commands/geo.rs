//! GEO commands on sorted sets whose scores are 52-bit geohashes:
//! GEOADD (run and propagated as the ZADD it amounts to), GEOPOS, GEODIST,
//! GEOHASH, and the searches GEOSEARCH, GEOSEARCHSTORE and the GEORADIUS
//! family. A search scans the nine geohash cells around the centre, as
//! Redis does, so unsorted results come in Redis's order too.

use super::{eq_ignore_case, err, int_arg, syntax_error, zset, Ctx};
use crate::engine::longdouble::LongDouble;
use crate::engine::numfmt::parse_f64;
use crate::engine::resp::Frame;
use crate::engine::value::{Value, ZSet};

const LONG_MIN: f64 = -180.0;
const LONG_MAX: f64 = 180.0;
/// Web Mercator's latitude limits: the poles cannot be indexed.
const LAT_MIN: f64 = -85.05112878;
const LAT_MAX: f64 = 85.05112878;
const STEP_MAX: u8 = 26;
const EARTH_RADIUS_M: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;

#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
struct Cell {
    bits: u64,
    step: u8,
}

impl Cell {
    fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The cell's bits shifted to the 52 bits of a stored score.
    fn aligned(self) -> u64 {
        self.bits << (52 - u32::from(self.step) * 2)
    }
}

#[derive(Clone, Copy, Default)]
struct Area {
    long_min: f64,
    long_max: f64,
    lat_min: f64,
    lat_max: f64,
}

/// Spreads the 32 bits of `low` over the even bits and those of `high`
/// over the odd bits.
fn interleave(low: u32, high: u32) -> u64 {
    let spread = |v: u32| {
        let mut x = u64::from(v);
        x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
        x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
        x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        x = (x | (x << 2)) & 0x3333_3333_3333_3333;
        (x | (x << 1)) & 0x5555_5555_5555_5555
    };
    spread(low) | (spread(high) << 1)
}

/// The even bits and the odd bits of `bits`, each packed into 32.
fn deinterleave(bits: u64) -> (u32, u32) {
    let gather = |v: u64| {
        let mut x = v & 0x5555_5555_5555_5555;
        x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
        x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
        x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
        ((x | (x >> 16)) & 0xFFFF_FFFF) as u32
    };
    (gather(bits), gather(bits >> 1))
}

/// The cell of `step` bits per axis holding a point, within the given
/// ranges (latitude on the even bits, longitude on the odd ones).
fn encode(long_range: (f64, f64), lat_range: (f64, f64), longitude: f64, latitude: f64, step: u8) -> Option<Cell> {
    if !(LONG_MIN..=LONG_MAX).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return None;
    }
    if !(lat_range.0..=lat_range.1).contains(&latitude) || !(long_range.0..=long_range.1).contains(&longitude) {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (latitude - lat_range.0) / (lat_range.1 - lat_range.0) * scale;
    let long_offset = (longitude - long_range.0) / (long_range.1 - long_range.0) * scale;
    Some(Cell { bits: interleave(lat_offset as u32, long_offset as u32), step })
}

fn encode_wgs84(longitude: f64, latitude: f64, step: u8) -> Option<Cell> {
    encode((LONG_MIN, LONG_MAX), (LAT_MIN, LAT_MAX), longitude, latitude, step)
}

fn decode(cell: Cell) -> Option<Area> {
    if cell.is_zero() {
        return None;
    }
    let (lat_cells, long_cells) = deinterleave(cell.bits);
    let scale = (1u64 << cell.step) as f64;
    let (lat_span, long_span) = (LAT_MAX - LAT_MIN, LONG_MAX - LONG_MIN);
    Some(Area {
        lat_min: LAT_MIN + (f64::from(lat_cells) / scale) * lat_span,
        lat_max: LAT_MIN + ((f64::from(lat_cells) + 1.0) / scale) * lat_span,
        long_min: LONG_MIN + (f64::from(long_cells) / scale) * long_span,
        long_max: LONG_MIN + ((f64::from(long_cells) + 1.0) / scale) * long_span,
    })
}

/// A stored score back to the centre of its cell: (longitude, latitude).
fn position(score: f64) -> Option<(f64, f64)> {
    let area = decode(Cell { bits: score as u64, step: STEP_MAX })?;
    let longitude = ((area.long_min + area.long_max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let latitude = ((area.lat_min + area.lat_max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    Some((longitude, latitude))
}

/// Moves a cell one step east (+1) or west (-1), wrapping around.
fn move_x(cell: &mut Cell, d: i8) {
    let x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = cell.bits & 0x5555_5555_5555_5555;
    let shift = 64 - u32::from(cell.step) * 2;
    let zz = 0x5555_5555_5555_5555u64 >> shift;
    let moved = if d > 0 { x.wrapping_add(zz + 1) } else { (x | zz).wrapping_sub(zz + 1) };
    cell.bits = (moved & (0xaaaa_aaaa_aaaa_aaaau64 >> shift)) | y;
}

/// Moves a cell one step north (+1) or south (-1).
fn move_y(cell: &mut Cell, d: i8) {
    let x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = cell.bits & 0x5555_5555_5555_5555;
    let shift = 64 - u32::from(cell.step) * 2;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    let moved = if d > 0 { y.wrapping_add(zz + 1) } else { (y | zz).wrapping_sub(zz + 1) };
    cell.bits = x | (moved & (0x5555_5555_5555_5555u64 >> shift));
}

fn neighbour(cell: Cell, dx: i8, dy: i8) -> Cell {
    // A cell that could not be encoded has no neighbours (and no bits to shift).
    if cell.step == 0 {
        return cell;
    }
    let mut moved = cell;
    if dx != 0 {
        move_x(&mut moved, dx);
    }
    if dy != 0 {
        move_y(&mut moved, dy);
    }
    moved
}

fn radians(degrees: f64) -> f64 {
    degrees * (std::f64::consts::PI / 180.0)
}

fn degrees(radians: f64) -> f64 {
    radians / (std::f64::consts::PI / 180.0)
}

/// Great-circle distance in metres (haversine).
fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (lat1r, lon1r, lat2r, lon2r) = (radians(lat1), radians(lon1), radians(lat2), radians(lon2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS_M * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

#[derive(Clone, Copy)]
enum Shape {
    /// Radius in the unit.
    Circle(f64),
    /// Width and height in the unit.
    Box(f64, f64),
}

struct Search {
    centre: (f64, f64),
    shape: Shape,
    /// Metres per unit.
    unit: f64,
}

impl Search {
    /// The distance to a point if it lies in the shape.
    fn distance_if_inside(&self, lon: f64, lat: f64) -> Option<f64> {
        let (clon, clat) = self.centre;
        match self.shape {
            Shape::Circle(radius) => {
                let d = distance(clon, clat, lon, lat);
                (d <= radius * self.unit).then_some(d)
            }
            Shape::Box(width, height) => {
                let across = distance(lon, lat, clon, lat);
                let along = distance(lon, lat, lon, clat);
                if across > width * self.unit / 2.0 || along > height * self.unit / 2.0 {
                    return None;
                }
                Some(distance(clon, clat, lon, lat))
            }
        }
    }

    /// (min long, min lat, max long, max lat) around the shape.
    fn bounds(&self) -> (f64, f64, f64, f64) {
        let (longitude, latitude) = self.centre;
        let (half_height, half_width) = match self.shape {
            Shape::Circle(r) => (r * self.unit, r * self.unit),
            Shape::Box(w, h) => (h / 2.0 * self.unit, w / 2.0 * self.unit),
        };
        let lat_delta = degrees(half_height / EARTH_RADIUS_M);
        let long_delta_top = degrees(half_width / EARTH_RADIUS_M / radians(latitude + lat_delta).cos());
        let long_delta_bottom = degrees(half_width / EARTH_RADIUS_M / radians(latitude - lat_delta).cos());
        let long_delta = if latitude < 0.0 { long_delta_bottom } else { long_delta_top };
        (longitude - long_delta, latitude - lat_delta, longitude + long_delta, latitude + lat_delta)
    }

    /// The centre cell and its eight neighbours, in Redis's order, the
    /// useless ones zeroed.
    fn cells(&self) -> [Cell; 9] {
        let (min_lon, min_lat, max_lon, max_lat) = self.bounds();
        let (longitude, latitude) = self.centre;
        let radius_m = match self.shape {
            Shape::Circle(r) => r,
            Shape::Box(w, h) => ((w / 2.0) * (w / 2.0) + (h / 2.0) * (h / 2.0)).sqrt(),
        } * self.unit;
        let mut steps = estimate_steps(radius_m, latitude);
        let around = |steps: u8| {
            let centre = encode_wgs84(longitude, latitude, steps).unwrap_or_default();
            [
                centre,
                neighbour(centre, 0, 1),
                neighbour(centre, 0, -1),
                neighbour(centre, 1, 0),
                neighbour(centre, -1, 0),
                neighbour(centre, 1, 1),
                neighbour(centre, -1, 1),
                neighbour(centre, 1, -1),
                neighbour(centre, -1, -1),
            ]
        };
        let mut cells = around(steps);
        // Near a cell's edge the estimate can leave part of the shape out.
        let area_of = |c: Cell| decode(c).unwrap_or_default();
        let too_small = area_of(cells[1]).lat_max < max_lat
            || area_of(cells[2]).lat_min > min_lat
            || area_of(cells[3]).long_max < max_lon
            || area_of(cells[4]).long_min > min_lon;
        if steps > 1 && too_small {
            steps -= 1;
            cells = around(steps);
        }
        if steps >= 2 {
            let centre = area_of(cells[0]);
            let zero = |cells: &mut [Cell; 9], which: [usize; 3]| which.iter().for_each(|&i| cells[i] = Cell::default());
            if centre.lat_min < min_lat {
                zero(&mut cells, [2, 8, 7]);
            }
            if centre.lat_max > max_lat {
                zero(&mut cells, [1, 5, 6]);
            }
            if centre.long_min < min_lon {
                zero(&mut cells, [4, 8, 6]);
            }
            if centre.long_max > max_lon {
                zero(&mut cells, [3, 7, 5]);
            }
        }
        cells
    }
}

/// How many bits per axis make a cell about the size of the search.
fn estimate_steps(mut range_m: f64, latitude: f64) -> u8 {
    if range_m == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_m < MERCATOR_MAX {
        range_m *= 2.0;
        step += 1;
    }
    step -= 2;
    // Cells narrow towards the poles.
    if !(-66.0..=66.0).contains(&latitude) {
        step -= 1;
        if !(-80.0..=80.0).contains(&latitude) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

struct Found {
    member: Vec<u8>,
    score: f64,
    longitude: f64,
    latitude: f64,
    /// Metres.
    distance: f64,
}

/// Every member of the nine cells inside the shape, cell by cell in score
/// order; with `limit` (ANY), stops once that many were found.
fn search(z: &ZSet, search: &Search, limit: usize) -> Vec<Found> {
    let cells = search.cells();
    let mut found = Vec::new();
    let mut last: Option<usize> = None;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // Huge radii make neighbours repeat: skip a cell equal to the last one.
        if last.is_some_and(|l| cells[l] == *cell) {
            continue;
        }
        if limit > 0 && found.len() >= limit {
            break;
        }
        let min = cell.aligned() as f64;
        let max = Cell { bits: cell.bits + 1, step: cell.step }.aligned() as f64;
        for (member, score) in z.from_score(min) {
            if score >= max {
                break;
            }
            if let Some((longitude, latitude)) = position(score) {
                if let Some(distance) = search.distance_if_inside(longitude, latitude) {
                    found.push(Found { member: member.clone(), score, longitude, latitude, distance });
                }
            }
            if limit > 0 && found.len() >= limit {
                break;
            }
        }
        last = Some(i);
    }
    found
}

fn coordinate(raw: &[u8]) -> Result<f64, Frame> {
    parse_f64(raw).ok_or_else(|| err("value is not a valid float"))
}

/// A longitude and latitude argument pair, in the indexable range.
fn long_lat(args: &[Vec<u8>]) -> Result<(f64, f64), Frame> {
    let (longitude, latitude) = (coordinate(&args[0])?, coordinate(&args[1])?);
    if !(LONG_MIN..=LONG_MAX).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return Err(err(&format!("invalid longitude,latitude pair {longitude:.6},{latitude:.6}")));
    }
    Ok((longitude, latitude))
}

fn unit(raw: &[u8]) -> Result<f64, Frame> {
    match raw.to_ascii_lowercase().as_slice() {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(err("unsupported unit provided. please use M, KM, FT, MI")),
    }
}

fn length(raw: &[u8], message: &str) -> Result<f64, Frame> {
    parse_f64(raw).ok_or_else(|| err(message))
}

fn distance_reply(metres_in_unit: f64) -> Frame {
    Frame::Bulk(format!("{metres_in_unit:.4}").into_bytes())
}

fn human(v: f64) -> Frame {
    Frame::Bulk(LongDouble::from_f64(v).to_human().into_bytes())
}

/// GEOADD key [NX|XX] [CH] longitude latitude member ...: the ZADD of the
/// members' geohashes, which is also what replicas receive.
pub fn geoadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let mut first = 2;
    let (mut nx, mut xx) = (false, false);
    while first < args.len() {
        let opt = &args[first];
        if eq_ignore_case(opt, "nx") {
            nx = true;
        } else if eq_ignore_case(opt, "xx") {
            xx = true;
        } else if !eq_ignore_case(opt, "ch") {
            break;
        }
        first += 1;
    }
    if (args.len() - first) % 3 != 0 || (nx && xx) {
        return syntax_error();
    }
    let mut zadd: Vec<Vec<u8>> = vec![b"zadd".to_vec()];
    zadd.extend_from_slice(&args[1..first]);
    for triple in args[first..].chunks(3) {
        let (longitude, latitude) = match long_lat(triple) {
            Ok(pair) => pair,
            Err(e) => return e,
        };
        let Some(cell) = encode_wgs84(longitude, latitude, STEP_MAX) else { return syntax_error() };
        zadd.push(cell.aligned().to_string().into_bytes());
        zadd.push(triple[2].clone());
    }
    let reply = super::zsets::zadd(ctx, &zadd);
    ctx.client.propagate = Some(vec![zadd]);
    reply
}

pub fn geopos(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    ctx.reply_with(&args[1], zset, |z| {
        let positions = args[2..].iter().map(|member| {
            match z.as_ref().and_then(|z| z.score(member)).and_then(position) {
                Some((longitude, latitude)) => Frame::Array(vec![human(longitude), human(latitude)]),
                None => Frame::NullArray,
            }
        });
        Frame::Array(positions.collect())
    })
}

pub fn geodist(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let to_metres = match args.len() {
        4 => 1.0,
        5 => match unit(&args[4]) {
            Ok(u) => u,
            Err(e) => return e,
        },
        _ => return syntax_error(),
    };
    ctx.reply_with(&args[1], zset, |z| {
        let Some(z) = z else { return Frame::Null };
        let points = (z.score(&args[2]).and_then(position), z.score(&args[3]).and_then(position));
        match points {
            (Some(a), Some(b)) => distance_reply(distance(a.0, a.1, b.0, b.1) / to_metres),
            _ => Frame::Null,
        }
    })
}

/// GEOHASH: the standard 11-character geohash, re-encoded with latitudes
/// from -90 to 90 (the stored one uses Mercator's limits).
pub fn geohash(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    const ALPHABET: &[u8] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    ctx.reply_with(&args[1], zset, |z| {
        let hashes = args[2..].iter().map(|member| {
            let Some((longitude, latitude)) = z.as_ref().and_then(|z| z.score(member)).and_then(position) else { return Frame::Null };
            let Some(cell) = encode((-180.0, 180.0), (-90.0, 90.0), longitude, latitude, 26) else { return Frame::Null };
            let text: Vec<u8> = (0..11)
                .map(|i| {
                    // 52 bits give ten characters; the eleventh is taken as zero.
                    let index = if i == 10 { 0 } else { (cell.bits >> (52 - (i + 1) * 5)) & 0x1f };
                    ALPHABET[index as usize]
                })
                .collect();
            Frame::Bulk(text)
        });
        Frame::Array(hashes.collect())
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// GEORADIUS key longitude latitude radius unit ...
    Radius { store: bool },
    /// GEORADIUSBYMEMBER key member radius unit ...
    RadiusByMember { store: bool },
    /// GEOSEARCH / GEOSEARCHSTORE with FROM... and BY...
    Search { store: bool },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    None,
    Asc,
    Desc,
}

fn search_generic(ctx: &mut Ctx, args: &[Vec<u8>], variant: Variant) -> Frame {
    search_or_refusal(ctx, args, variant).unwrap_or_else(|refusal| refusal)
}

fn search_or_refusal(ctx: &mut Ctx, args: &[Vec<u8>], variant: Variant) -> Result<Frame, Frame> {
    let source = if matches!(variant, Variant::Search { store: true }) { &args[2] } else { &args[1] };
    let exists = ctx.typed(source, zset)?.is_some();
    // A member's position, read where the search is centred on one.
    let member_position = |ctx: &mut Ctx, member: &[u8]| ctx.typed(source, zset).ok().flatten().and_then(|z| z.score(member)).and_then(position);
    let mut centre: Option<(f64, f64)> = None;
    let mut shape: Option<(Shape, f64)> = None;
    let base = match variant {
        Variant::Radius { .. } => {
            centre = Some(long_lat(&args[2..4])?);
            shape = Some(radius_and_unit(&args[4..6])?);
            6
        }
        Variant::RadiusByMember { .. } => {
            if exists {
                centre = match member_position(ctx, &args[2]) {
                    Some(c) => Some(c),
                    None => return Err(err("could not decode requested zset member")),
                };
                shape = Some(radius_and_unit(&args[3..5])?);
            }
            5
        }
        Variant::Search { store } => {
            if store {
                3
            } else {
                2
            }
        }
    };
    let is_search = matches!(variant, Variant::Search { .. });
    let may_store = matches!(variant, Variant::Radius { store: true } | Variant::RadiusByMember { store: true });
    let (mut with_dist, mut with_hash, mut with_coord, mut any) = (false, false, false, false);
    let mut order = Order::None;
    let mut count: i64 = 0;
    let mut store: Option<(Vec<u8>, bool)> = match variant {
        Variant::Search { store: true } => Some((args[1].clone(), false)),
        _ => None,
    };
    let (mut from_member, mut from_lonlat, mut by_radius, mut by_box) = (false, false, false, false);
    let mut i = base;
    while i < args.len() {
        let arg = &args[i];
        let left = args.len() - i - 1;
        if eq_ignore_case(arg, "withdist") {
            with_dist = true;
        } else if eq_ignore_case(arg, "withhash") {
            with_hash = true;
        } else if eq_ignore_case(arg, "withcoord") {
            with_coord = true;
        } else if eq_ignore_case(arg, "any") {
            any = true;
        } else if eq_ignore_case(arg, "asc") {
            order = Order::Asc;
        } else if eq_ignore_case(arg, "desc") {
            order = Order::Desc;
        } else if eq_ignore_case(arg, "count") && left >= 1 {
            count = int_arg(&args[i + 1])?;
            if count <= 0 {
                return Err(err("COUNT must be > 0"));
            }
            i += 1;
        } else if (eq_ignore_case(arg, "store") || eq_ignore_case(arg, "storedist")) && left >= 1 && may_store {
            store = Some((args[i + 1].clone(), eq_ignore_case(arg, "storedist")));
            i += 1;
        } else if eq_ignore_case(arg, "storedist") && matches!(variant, Variant::Search { store: true }) {
            store = store.map(|(key, _)| (key, true));
        } else if eq_ignore_case(arg, "frommember") && left >= 1 && is_search && !from_lonlat {
            if exists {
                centre = match member_position(ctx, &args[i + 1]) {
                    Some(c) => Some(c),
                    None => return Err(err("could not decode requested zset member")),
                };
            }
            from_member = true;
            i += 1;
        } else if eq_ignore_case(arg, "fromlonlat") && left >= 2 && is_search && !from_member {
            centre = Some(long_lat(&args[i + 1..i + 3])?);
            from_lonlat = true;
            i += 2;
        } else if eq_ignore_case(arg, "byradius") && left >= 2 && is_search && !by_box {
            shape = Some(radius_and_unit(&args[i + 1..i + 3])?);
            by_radius = true;
            i += 2;
        } else if eq_ignore_case(arg, "bybox") && left >= 3 && is_search && !by_radius {
            shape = Some(box_and_unit(&args[i + 1..i + 4])?);
            by_box = true;
            i += 3;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    if store.is_some() && (with_dist || with_hash || with_coord) {
        let what = if matches!(variant, Variant::Search { store: true }) { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        return Err(err(&format!("{what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")));
    }
    if is_search && !(from_member || from_lonlat) {
        return Err(err(&format!("exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}")));
    }
    if is_search && !(by_radius || by_box) {
        return Err(err(&format!("exactly one of BYRADIUS and BYBOX can be specified for {name}")));
    }
    if any && count == 0 {
        return Err(err("the ANY argument requires COUNT argument"));
    }
    let (true, Some(centre), Some((shape, unit))) = (exists, centre, shape) else {
        // No source key: nothing found, and a STORE destination goes.
        return Ok(match store {
            Some((key, _)) => store_found(ctx, &key, Vec::new(), 1.0, false, is_search),
            None => Frame::Array(Vec::new()),
        });
    };
    if count != 0 && order == Order::None && !any {
        order = Order::Asc;
    }
    let query = Search { centre, shape, unit };
    let mut found = match ctx.typed(source, zset) {
        Ok(Some(z)) => search(z, &query, if any { count as usize } else { 0 }),
        _ => Vec::new(),
    };
    let returned = if count == 0 { found.len() } else { found.len().min(count as usize) };
    match order {
        // Stable like Redis's merge-sorting qsort: equal distances keep scan order.
        Order::Asc => found.sort_by(|a, b| a.distance.partial_cmp(&b.distance).unwrap_or(std::cmp::Ordering::Equal)),
        Order::Desc => found.sort_by(|a, b| b.distance.partial_cmp(&a.distance).unwrap_or(std::cmp::Ordering::Equal)),
        Order::None => {}
    }
    found.truncate(returned);
    Ok(match store {
        None => reply_found(found, unit, with_dist, with_hash, with_coord),
        Some((key, by_distance)) => store_found(ctx, &key, found, unit, by_distance, is_search),
    })
}

fn radius_and_unit(args: &[Vec<u8>]) -> Result<(Shape, f64), Frame> {
    let radius = length(&args[0], "need numeric radius")?;
    if radius < 0.0 {
        return Err(err("radius cannot be negative"));
    }
    Ok((Shape::Circle(radius), unit(&args[1])?))
}

fn box_and_unit(args: &[Vec<u8>]) -> Result<(Shape, f64), Frame> {
    let width = length(&args[0], "need numeric width")?;
    let height = length(&args[1], "need numeric height")?;
    if width < 0.0 || height < 0.0 {
        return Err(err("height or width cannot be negative"));
    }
    Ok((Shape::Box(width, height), unit(&args[2])?))
}

fn reply_found(found: Vec<Found>, unit: f64, with_dist: bool, with_hash: bool, with_coord: bool) -> Frame {
    let plain = !(with_dist || with_hash || with_coord);
    let items = found.into_iter().map(|f| {
        if plain {
            return Frame::Bulk(f.member);
        }
        let mut item = vec![Frame::Bulk(f.member)];
        if with_dist {
            item.push(distance_reply(f.distance / unit));
        }
        if with_hash {
            item.push(Frame::Integer(f.score as i64));
        }
        if with_coord {
            item.push(Frame::Array(vec![human(f.longitude), human(f.latitude)]));
        }
        Frame::Array(item)
    });
    Frame::Array(items.collect())
}

fn store_found(ctx: &mut Ctx, key: &[u8], found: Vec<Found>, unit: f64, by_distance: bool, is_search: bool) -> Frame {
    let count = found.len();
    if count == 0 {
        if ctx.db().remove(key).is_some() {
            *ctx.dirty += 1;
            ctx.notify(super::event::GENERIC, "del", key);
        }
        return Frame::Integer(0);
    }
    let limits = ctx.settings.limits.clone();
    let longest = found.iter().map(|f| f.member.len()).max().unwrap_or(0);
    let mut stored = ZSet::new(longest, &limits);
    for f in &found {
        let score = if by_distance { f.distance / unit } else { f.score };
        stored.insert(&f.member, score, &limits);
    }
    let now = ctx.now;
    ctx.db().set(key, Value::ZSet(Box::new(stored)), false, now);
    *ctx.dirty += count as u64;
    ctx.notify(super::event::ZSET, if is_search { "geosearchstore" } else { "georadiusstore" }, key);
    Frame::Integer(count as i64)
}

pub fn georadius(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    search_generic(ctx, args, Variant::Radius { store: true })
}

pub fn georadius_ro(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    search_generic(ctx, args, Variant::Radius { store: false })
}

pub fn georadiusbymember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    search_generic(ctx, args, Variant::RadiusByMember { store: true })
}

pub fn georadiusbymember_ro(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    search_generic(ctx, args, Variant::RadiusByMember { store: false })
}

pub fn geosearch(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    search_generic(ctx, args, Variant::Search { store: false })
}

pub fn geosearchstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    search_generic(ctx, args, Variant::Search { store: true })
}

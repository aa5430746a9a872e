//! LOLWUT's artworks of Redis 5 and 6, drawn as Redis 7.0.15 draws them
//! for `LOLWUT VERSION 5` (Georg Nees's Schotter, squares in Braille dots)
//! and `LOLWUT VERSION 6` (a skyline in four terminal grays). Their random
//! parts come from the node's seeded generator instead of libc's rand(),
//! so only the deterministic parts (the first two rows of Schotter) match
//! real Redis pixel for pixel.

use crate::engine::info::REDIS_VERSION;
use crate::engine::resp::Frame;
use crate::engine::rng::Rng;

/// libc's RAND_MAX.
const RAND_MAX: u32 = i32::MAX as u32;

fn rand(rng: &mut Rng) -> i32 {
    (rng.next_u64() >> 33) as i32
}

/// A grid of pixels; drawing outside it is ignored, reading outside is 0.
struct Canvas {
    width: i32,
    height: i32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: i32, height: i32, color: u8) -> Canvas {
        let size = (width.max(0) as usize) * (height.max(0) as usize);
        Canvas { width, height, pixels: vec![color; size] }
    }

    fn inside(&self, x: i32, y: i32) -> bool {
        x >= 0 && x < self.width && y >= 0 && y < self.height
    }

    fn draw(&mut self, x: i32, y: i32, color: u8) {
        if self.inside(x, y) {
            self.pixels[(x + y * self.width) as usize] = color;
        }
    }

    fn get(&self, x: i32, y: i32) -> u8 {
        if self.inside(x, y) {
            self.pixels[(x + y * self.width) as usize]
        } else {
            0
        }
    }

    /// Bresenham's line.
    fn line(&mut self, (mut x1, mut y1): (i32, i32), (x2, y2): (i32, i32)) {
        let (dx, dy) = ((x2 - x1).abs(), (y2 - y1).abs());
        let (sx, sy) = (if x1 < x2 { 1 } else { -1 }, if y1 < y2 { 1 } else { -1 });
        let mut error = dx - dy;
        loop {
            self.draw(x1, y1, 1);
            if x1 == x2 && y1 == y2 {
                break;
            }
            let doubled = error * 2;
            if doubled > -dy {
                error -= dy;
                x1 += sx;
            }
            if doubled < dx {
                error += dx;
                y1 += sy;
            }
        }
    }

    /// A square of side `size` centred on x,y and turned by `angle`: its
    /// corners on the circle around it, a quarter turn apart.
    fn square(&mut self, x: i32, y: i32, size: f32, angle: f32) {
        let radius = (size / std::f32::consts::SQRT_2).round();
        let mut k = std::f32::consts::FRAC_PI_4 + angle;
        let mut corners = [(0, 0); 4];
        for corner in &mut corners {
            let kd = f64::from(k);
            *corner = ((kd.sin() * f64::from(radius) + f64::from(x)).round() as i32, (kd.cos() * f64::from(radius) + f64::from(y)).round() as i32);
            k += std::f32::consts::FRAC_PI_2;
        }
        for j in 0..4 {
            self.line(corners[j], corners[(j + 1) % 4]);
        }
    }
}

/// The optional numeric arguments after `VERSION n`, each clamped.
fn numbers(args: &[Vec<u8>], defaults: &[i64], max: &[i64]) -> Result<Vec<i64>, Frame> {
    let mut values = defaults.to_vec();
    for (i, value) in values.iter_mut().enumerate() {
        if let Some(raw) = args.get(i) {
            *value = super::int_arg(raw)?;
        }
        *value = (*value).clamp(1, max[i]);
    }
    Ok(values)
}

/// LOLWUT VERSION 5 [columns] [squares per row] [squares per column].
pub fn schotter(rng: &mut Rng, args: &[Vec<u8>]) -> Frame {
    let values = match numbers(args, &[66, 8, 12], &[1000, 200, 200]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let (cols, per_row, per_col) = (values[0] as i32, values[1] as i32, values[2] as i32);
    let width = cols * 2;
    let padding = if width > 4 { 2 } else { 0 };
    let side = (width - padding * 2) as f32 / per_row as f32;
    let height = (side * per_col as f32 + (padding * 2) as f32) as i32;
    let mut canvas = Canvas::new(width, height, 0);
    for y in 0..per_col {
        for x in 0..per_row {
            let mut sx = (x as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut sy = (y as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut angle = 0.0f32;
            // Lower rows turn and drift more and more.
            if y > 1 {
                let mut shift = || rand(rng) as f32 / RAND_MAX as f32 / per_col as f32 * y as f32;
                let (mut r1, mut r2, mut r3) = (shift(), shift(), shift());
                for r in [&mut r1, &mut r2, &mut r3] {
                    if rand(rng) % 2 == 1 {
                        *r = -*r;
                    }
                }
                angle = r1;
                sx = (sx as f32 + r2 * side / 3.0) as i32;
                sy = (sy as f32 + r3 * side / 3.0) as i32;
            }
            canvas.square(sx, sy, side, angle);
        }
    }
    let mut text = String::new();
    for y in (0..canvas.height).step_by(4) {
        for x in (0..canvas.width).step_by(2) {
            // Braille dots 1-8 for a 2x4 block.
            let dots = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)];
            let byte = dots.iter().enumerate().fold(0u32, |acc, (bit, (dx, dy))| acc | (u32::from(canvas.get(x + dx, y + dy) != 0) << bit));
            text.push(char::from_u32(0x2800 + byte).unwrap_or(' '));
        }
        if y != canvas.height - 1 {
            text.push('\n');
        }
    }
    text.push_str(&format!("\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. {REDIS_VERSION}\n"));
    Frame::Bulk(text.into_bytes())
}

struct Skyscraper {
    x: i32,
    width: i32,
    height: i32,
    windows: bool,
    color: u8,
}

fn skyscraper(canvas: &mut Canvas, rng: &mut Rng, s: &Skyscraper) {
    let bottom = canvas.height - 1;
    let top = bottom - s.height + 1;
    for y in (top..=bottom).rev() {
        for x in s.x..s.x + s.width {
            // The roof is narrower by two pixels on each side.
            if y == top && (x <= s.x + 1 || x >= s.x + s.width - 2) {
                continue;
            }
            let mut color = s.color;
            let inner = x > s.x + 1 && x < s.x + s.width - 2 && y > top + 1 && y < bottom - 1;
            if s.windows && inner {
                let (rel_x, rel_y) = (x - (s.x + 1), y - (top + 1));
                // Windows two pixels wide, one tall: terminal cells are tall.
                if (rel_x / 2) % 2 != 0 && rel_y % 2 != 0 {
                    loop {
                        color = 1 + (rand(rng) % 2) as u8;
                        if color != s.color {
                            break;
                        }
                    }
                    if rel_x % 2 != 0 {
                        color = canvas.get(x - 1, y);
                    }
                }
            }
            canvas.draw(x, y, color);
        }
    }
}

/// LOLWUT VERSION 6 [columns] [rows].
pub fn skyline(rng: &mut Rng, args: &[Vec<u8>]) -> Frame {
    let values = match numbers(args, &[80, 20], &[1000, 1000]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let mut canvas = Canvas::new(values[0] as i32, values[1] as i32, 3);
    let h = canvas.height;
    // Two passes of background towers, the lighter ones behind.
    for color in [2u8, 1] {
        let mut offset = -10;
        while offset < canvas.width {
            offset += rand(rng) % 8;
            let width = 10 + rand(rng) % 9;
            let height = if color == 2 { h / 2 + (rand(rng) % h) / 2 } else { h / 2 + (rand(rng) % h) / 3 };
            skyscraper(&mut canvas, rng, &Skyscraper { x: offset, width, height, windows: false, color });
            offset += if color == 2 { width / 2 } else { width + 1 };
        }
    }
    let mut offset = -10;
    while offset < canvas.width {
        offset += rand(rng) % 8;
        let mut width = 5 + rand(rng) % 14;
        if width % 4 != 0 {
            width += width % 3;
        }
        let height = h / 3 + (rand(rng) % h) / 2;
        skyscraper(&mut canvas, rng, &Skyscraper { x: offset, width, height, windows: true, color: 0 });
        offset += width + 5;
    }
    let mut text = String::new();
    for y in 0..canvas.height {
        for x in 0..canvas.width {
            let escape = match canvas.get(x, y) {
                1 => "0;90;100m",
                2 => "0;37;47m",
                3 => "0;97;107m",
                _ => "0;30;40m",
            };
            text.push_str(&format!("\x1b[{escape} \x1b[0m"));
        }
        if y != canvas.height - 1 {
            text.push('\n');
        }
    }
    text.push_str(&format!(
        "\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. {REDIS_VERSION}\n"
    ));
    Frame::Bulk(text.into_bytes())
}

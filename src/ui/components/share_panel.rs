//! The permalink of the session: a link to copy (its fragment holds the
//! seed and every step, compressed), or, when that would be too long for
//! a link, the scenario file to download.

use yew::prelude::*;

use crate::ui::state::Share;

#[derive(Properties, PartialEq)]
pub struct SharePanelProps {
    pub share: Share,
    pub on_copy: Callback<String>,
    pub on_download: Callback<String>,
    pub on_close: Callback<()>,
}

#[function_component(SharePanel)]
pub fn share_panel(props: &SharePanelProps) -> Html {
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    let body = match &props.share {
        Share::Link(url) => {
            let copy = {
                let (on_copy, url) = (props.on_copy.clone(), url.clone());
                Callback::from(move |_: MouseEvent| on_copy.emit(url.clone()))
            };
            html! {
                <>
                    <label for="share-link">{ "A link to this session (its seed and every step): opening it replays it to this very state." }</label>
                    <div class="share-row">
                        <input id="share-link" data-share="link" readonly=true value={url.clone()}
                               onfocus={Callback::from(|e: FocusEvent| if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() { input.select(); })} />
                        <button data-share="copy" onclick={copy}>{ "Copy" }</button>
                    </div>
                </>
            }
        }
        Share::TooLong { link_bytes, text } => {
            let download = {
                let (on_download, text) = (props.on_download.clone(), text.clone());
                Callback::from(move |_: MouseEvent| on_download.emit(text.clone()))
            };
            html! {
                <>
                    <p data-share="too-long">{ format!(
                        "This session is too long for a link ({} KB; a link holds at most 8 KB). Save it as a scenario file instead: \
                         it opens with ?src= beside the page, or runs with the command-line runner.",
                        link_bytes.div_ceil(1024)
                    ) }</p>
                    <button data-share="download" onclick={download}>{ "Download session.scn" }</button>
                </>
            }
        }
    };
    html! {
        <div class="share-panel" role="dialog" aria-label="Share this session">
            { body }
            <button class="dismiss" aria-label="Close" onclick={close}>{ "×" }</button>
        </div>
    }
}
